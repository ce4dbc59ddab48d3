"""Cold-start probe, run by benchmarks/run.py in a fresh process: import cost and first calls.

Prints one JSON object: milliseconds to import the core, then the first, second and third
``sign_document`` calls (the first one loads and checks the pinned contexts and processes them),
and the first ``verify``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

_start = time.perf_counter()
from lti_tool.core.api import sign_document, verify  # noqa: E402
from lti_tool.core.jsonld.canonicalize import Canonicalizer  # noqa: E402

_import_ms = 1000 * (time.perf_counter() - _start)

from benchmarks.credentials import CREATED, NOW, build  # noqa: E402


def timed_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Return (milliseconds, result) of a single call."""
    start = time.perf_counter()
    result = fn()
    return 1000 * (time.perf_counter() - start), result


def main() -> None:
    fixture = build(sign_status_list=False)  # nothing canonicalized yet
    canonicalizer = Canonicalizer()
    calls = []
    signed = None
    for _ in range(3):
        ms, signed = timed_once(lambda: sign_document(fixture.reference, signer=fixture.signer, created=CREATED,
                                                      canonicalizer=canonicalizer))
        calls.append(ms)
    verify_ms, result = timed_once(lambda: verify(signed, now=NOW, resolver=fixture.resolve,
                                                  canonicalizer=canonicalizer))
    print(json.dumps({"import_ms": _import_ms, "issue_calls_ms": calls, "first_verify_ms": verify_ms,
                      "verified": result.verified}))


if __name__ == "__main__":
    main()
