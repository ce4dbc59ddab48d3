"""Run a benchmark phase in a process of its own against a scratch database made for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def phase_in_scratch(script: str, kind: str, postgres: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """Make a scratch ``kind`` database, run ``script --phase <config>`` on it, return the phase's JSON line.

    Returns None (and says why) when the database cannot be made, e.g. PostgreSQL is not reachable.
    """
    from benchmarks.lti_launch import ScratchDatabase

    try:
        scratch = ScratchDatabase(kind, SimpleNamespace(postgres=postgres))
    except Exception as error:  # PostgreSQL not reachable: say so and go on
        print(f"{kind} skipped: {error}", flush=True)
        return None
    try:
        completed = subprocess.run(
            [sys.executable, str(Path(script).resolve()), "--phase", json.dumps({**config, "kind": kind,
                                                                                   "url": scratch.url})],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": scratch.url,
                 "DJANGO_SETTINGS_MODULE": "benchmarks.lti_settings"})
        if completed.returncode != 0:
            raise SystemExit(f"the {kind} phase of {Path(script).name} failed (exit {completed.returncode})")
        return json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        scratch.close()
