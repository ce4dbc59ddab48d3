"""One JSON-LD canonicalizer per process: it remembers processed contexts between credentials."""

from __future__ import annotations

import functools

from ..core.jsonld.canonicalize import Canonicalizer


@functools.cache
def shared_canonicalizer() -> Canonicalizer:
    """Return the process-wide canonicalizer over the pinned contexts."""
    return Canonicalizer()
