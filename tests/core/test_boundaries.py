"""The core stays framework-free: importing it pulls in no Django and no HTTP client library.

Checked in a fresh interpreter (``sys.executable -c``), since this test process has loaded plenty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Frameworks the core must never pull in. HTTP client libraries are a different matter: pyld imports
# ``requests`` for its optional default loader, which the core replaces (see the loader tests below);
# that the core's own code imports no HTTP client is enforced by the import-linter contract.
FORBIDDEN = ["django", "pylti1p3", "rest_framework", "xblock", "httpx"]
MODULES = [
    "lti_tool.core.api",
    "lti_tool.core.openbadges.verify",
    "lti_tool.core.jsonld.canonicalize",
]

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(name for name in {forbidden!r} if name in sys.modules)))
"""


def _loaded_after(code: str) -> list[str]:
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONNOUSERSITE": "1"},
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", MODULES)
def test_importing_the_core_loads_no_framework_or_http_client(module):
    assert _loaded_after(PROBE.format(module=module, forbidden=FORBIDDEN)) == []


@pytest.mark.parametrize("first", ["", "import requests", "import pyld.jsonld", "import requests, pyld.jsonld"])
def test_pyld_default_document_loader_cannot_fetch(first):
    """Whatever the process imported before the core, pyld's default loader refuses every URL."""
    code = f"""
import json
{first}
import lti_tool.core.api
from pyld import jsonld
try:
    # No documentLoader option: pyld uses its default loader.
    jsonld.expand({{"@context": "https://www.w3.org/ns/credentials/v2", "name": "x"}})
    outcome = "fetched"
except jsonld.JsonLdError as error:
    causes = [error]
    while causes[-1].__cause__ is not None:
        causes.append(causes[-1].__cause__)
    outcome = "refused" if any("refusing to fetch" in str(e) for e in causes) else repr(causes)
print(json.dumps([outcome, jsonld.get_document_loader().__name__]))
"""
    assert _loaded_after(code) == ["refused", "refusing_loader"]


def test_a_full_issue_and_verify_loads_no_framework_or_http_client():
    code = f"""
import json, sys
from datetime import timedelta
from lti_tool.core.api import verify
from lti_tool.core.jsonld.canonicalize import Canonicalizer
from tests.core.fixtures.corekit import CLOCK, IssuerWorld, full_claims
world = IssuerWorld(Canonicalizer())
issued = world.issue(full_claims())
assert verify(issued.credential, now=CLOCK + timedelta(days=1), resolver=world.resolve).verified
assert verify(issued.jwt, now=CLOCK + timedelta(days=1), resolver=world.resolve).verified
print(json.dumps(sorted(name for name in {FORBIDDEN!r} if name in sys.modules)))
"""
    assert _loaded_after(code) == []


def test_the_probe_would_notice():
    # Guards the probe itself: importing a forbidden framework is reported.
    assert _loaded_after(PROBE.format(module="django", forbidden=FORBIDDEN)) == ["django"]


NETWORK_MODULES = ("urllib.request", "http.client", "socket", "ssl", "ftplib", "smtplib")


def test_core_source_imports_no_standard_library_network_module():
    """import-linter cannot forbid parts of the standard library; read the core's imports directly."""
    import ast

    offenders = []
    for path in sorted((ROOT / "lti_tool" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if any(name == m or name.startswith(m + ".") for m in NETWORK_MODULES)]
    assert offenders == []
