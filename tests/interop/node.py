"""Run the Node.js verifiers in this folder (Digital Bazaar's libraries, DCC verifier-core) from Python.

The JavaScript side is pinned by ``package-lock.json``; :func:`ensure_node_modules` runs ``npm ci``
when ``node_modules`` is missing or does not match the lockfile. Each ``verify_with_*`` call starts one
Node process: request JSON on stdin, ``{"results": [...]}`` on stdout (see the ``.mjs`` headers).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

INTEROP_DIR = Path(__file__).resolve().parent
LOCKFILE = INTEROP_DIR / "package-lock.json"
NODE_MODULES = INTEROP_DIR / "node_modules"
MIN_NODE_MAJOR = 20
NPM_CI_TIMEOUT = 900
VERIFY_TIMEOUT = 180

__all__ = [
    "InteropError",
    "InteropUnavailable",
    "dump_contexts",
    "ensure_node_modules",
    "node_modules_current",
    "verify_with_dcc",
    "verify_with_digitalbazaar",
]


class InteropUnavailable(RuntimeError):
    """Raise when Node.js or npm is not installed (or too old) so the verifiers cannot run."""


class InteropError(RuntimeError):
    """Raise when installing or running a Node verifier fails; the message carries its output."""


def _executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InteropUnavailable(
            f"`{name}` is not on PATH: install Node.js >= {MIN_NODE_MAJOR} with npm to run the interop tests "
            "(they check our credentials with Digital Bazaar's vc libraries and DCC verifier-core)")
    return path


def node_executable() -> str:
    """Return the path of ``node``, checking it is recent enough."""
    node = _executable("node")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                                 check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise InteropUnavailable(f"`node --version` failed: {error}") from error
    match = re.match(r"v(\d+)\.", version)
    if not match or int(match.group(1)) < MIN_NODE_MAJOR:
        raise InteropUnavailable(f"Node.js {version or '?'} is too old; the interop tests need >= {MIN_NODE_MAJOR}")
    return node


def _locked_packages(path: Path) -> dict[str, tuple[Any, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: (entry.get("version"), entry.get("integrity"))
            for name, entry in data.get("packages", {}).items()
            if name and not entry.get("link") and not entry.get("extraneous")}


def node_modules_current() -> bool:
    """Return True when ``node_modules`` holds exactly what ``package-lock.json`` locks.

    npm records what it installed in ``node_modules/.package-lock.json`` (the "hidden lockfile");
    it must list the same packages at the same versions and integrity hashes as the lockfile.
    """
    hidden = NODE_MODULES / ".package-lock.json"
    if not hidden.is_file():
        return False
    try:
        wanted, installed = _locked_packages(LOCKFILE), _locked_packages(hidden)
    except (OSError, ValueError):
        return False
    if wanted != installed:
        return False
    return all((INTEROP_DIR / name / "package.json").is_file() for name in wanted)


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """Serialize ``npm ci`` between processes (pytest-xdist workers); no-op where flock is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(INTEROP_DIR / ".npm-ci.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_node_modules() -> None:
    """Install the pinned verifiers with ``npm ci`` unless ``node_modules`` already matches the lockfile.

    Raises:
        InteropUnavailable: node or npm is missing, or Node.js is older than 20.
        InteropError: ``npm ci`` failed (its output is in the message).
    """
    node_executable()
    npm = _executable("npm")
    if node_modules_current():
        return
    with _install_lock():
        if node_modules_current():
            return
        command = [npm, "ci", "--no-audit", "--no-fund"]
        try:
            done = subprocess.run(command, cwd=INTEROP_DIR, capture_output=True, text=True,
                                  timeout=NPM_CI_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as error:
            raise InteropError(f"`npm ci` in {INTEROP_DIR} timed out after {NPM_CI_TIMEOUT}s") from error
        if done.returncode != 0:
            raise InteropError(f"`npm ci` in {INTEROP_DIR} failed with exit code {done.returncode}:\n"
                               f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        if not node_modules_current():
            raise InteropError("`npm ci` succeeded but node_modules still does not match package-lock.json")


def _run_script(script: str, request: Mapping[str, Any], *, timeout: float) -> dict[str, Any]:
    node = node_executable()
    payload = json.dumps(request, ensure_ascii=True)
    env = {**os.environ, "NODE_NO_WARNINGS": "1"}
    env.pop("NODE_OPTIONS", None)
    try:
        done = subprocess.run([node, str(INTEROP_DIR / script)], input=payload, cwd=INTEROP_DIR,
                              capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=env,
                              check=False)
    except subprocess.TimeoutExpired as error:
        stderr = error.stderr.decode("utf-8", "replace") if isinstance(error.stderr, bytes) else error.stderr
        raise InteropError(f"{script} timed out after {timeout}s; stderr:\n{(stderr or '')[-4000:]}") from error
    if done.returncode != 0:
        raise InteropError(f"{script} exited with code {done.returncode}; stderr:\n{done.stderr[-8000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        response = json.loads(lines[-1])
    except (IndexError, ValueError) as error:
        raise InteropError(f"{script} printed no JSON result; stdout:\n{done.stdout[-4000:]}\n"
                           f"stderr:\n{done.stderr[-4000:]}") from error
    response["stderr"] = done.stderr
    return response


def _verify(script: str, credentials: Sequence[Any], base_url: str, *, extra: Mapping[str, Any],
            timeout: float) -> list[dict[str, Any]]:
    request = {"baseUrl": base_url, "credentials": list(credentials), **extra}
    response = _run_script(script, request, timeout=timeout)
    results = response.get("results")
    if not isinstance(results, list) or len(results) != len(credentials):
        raise InteropError(f"{script} returned {type(results).__name__} for {len(credentials)} credential(s): "
                           f"{json.dumps(response)[:4000]}")
    for result in results:
        result["stderr"] = response["stderr"]
    return results


def verify_with_digitalbazaar(credentials: Sequence[Any], base_url: str, *,
                              documents: Mapping[str, Any] | None = None, now: str | None = None,
                              timeout: float = VERIFY_TIMEOUT) -> list[dict[str, Any]]:
    """Verify each credential with ``@digitalbazaar/vc`` + ``eddsa-rdfc-2022`` (offline, see the script).

    Args:
        credentials: Data Integrity credentials (JSON objects).
        base_url: only URLs under it are fetched over HTTP (issuer, key and status list documents).
        documents: extra documents by exact URL (e.g. a test vector's key), served without HTTP.
        now: verification time (ISO 8601) instead of the current time.
        timeout: seconds before the Node process is killed.

    Returns:
        One dict per credential: ``verified``, ``errors``, ``revoked`` (None when not checked),
        ``statusBits``, ``raw`` (the library's result, JSON-safe), ``loaded`` (documents it asked for).

    Raises:
        InteropUnavailable: Node.js is missing.
        InteropError: the script failed as a whole (its stderr is in the message).
    """
    extra: dict[str, Any] = {}
    if documents:
        extra["documents"] = dict(documents)
    if now:
        extra["now"] = now
    return _verify("verify_digitalbazaar.mjs", credentials, base_url, extra=extra, timeout=timeout)


def verify_with_dcc(credentials: Sequence[Any], base_url: str, *,
                    timeout: float = VERIFY_TIMEOUT) -> list[dict[str, Any]]:
    """Verify each credential with ``@digitalcredentials/verifier-core`` (``verifyCredential``).

    Returns:
        One dict per credential: ``verified`` (our reading of its log, see ``verify_dcc.mjs``),
        ``errors``, ``revoked``, ``raw`` (verifier-core's response minus the echoed credential) and
        ``network`` (URLs it fetched, and the ones the guard refused).

    Raises:
        InteropUnavailable: Node.js is missing.
        InteropError: the script failed as a whole (its stderr is in the message).
    """
    return _verify("verify_dcc.mjs", credentials, base_url, extra={}, timeout=timeout)


def dump_contexts(urls: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Return the JSON-LD contexts the verifiers hold offline.

    Returns:
        ``{"digitalbazaar": {url: context}, "dcc": {url: context or None}}``: every context the Digital
        Bazaar loader bundles, and what DCC's loader (remote fetching off) answers for each of ``urls``.
    """
    return _run_script("dump_contexts.mjs", {"urls": list(urls)}, timeout=VERIFY_TIMEOUT)["contexts"]
