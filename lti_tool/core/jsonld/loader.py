"""Serve JSON-LD contexts from pinned copies in this package; never touch the network.

The allow-list lives in ``contexts/manifest.json``: each URL maps to a file and the SHA-256 of its
bytes. A URL that is not pinned raises :class:`UnknownDocumentError`. Callers that need to resolve
further documents (an issuer's controller document, say) pass them as ``extra``; those never
override a pinned context.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

DocumentLoader = Callable[[str, Mapping[str, Any] | None], dict[str, Any]]


class UnknownDocumentError(LookupError):
    """Raise when a JSON-LD document is not on the pinned allow-list."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD document {url!r} is not pinned; refusing to fetch it")
        self.url = url


class PinnedContextMismatchError(RuntimeError):
    """Raise when a pinned context file no longer matches the digest in the manifest."""


@functools.cache
def pinned_contexts() -> Mapping[str, Mapping[str, Any]]:
    """Return every pinned context, keyed by URL, after checking each file's SHA-256."""
    folder = resources.files(__package__).joinpath("contexts")
    manifest = json.loads(folder.joinpath("manifest.json").read_text(encoding="utf-8"))
    contexts: dict[str, Mapping[str, Any]] = {}
    for url, entry in manifest.items():
        raw = folder.joinpath(entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise PinnedContextMismatchError(
                f"pinned context {entry['file']} has SHA-256 {digest}, manifest says {entry['sha256']}"
            )
        contexts[url] = json.loads(raw)
    return contexts


def refusing_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Refuse every URL: pyld's process-wide default loader, so nothing is ever fetched by accident."""
    raise UnknownDocumentError(url)


def pinned_loader(extra: Mapping[str, Mapping[str, Any]] | None = None) -> DocumentLoader:
    """Return a pyld document loader over the pinned contexts plus ``extra`` documents.

    Args:
        extra: further documents by URL (without fragment); pinned contexts win on conflict.

    Returns:
        A callable ``loader(url, options)`` in pyld's RemoteDocument shape.
    """
    documents = dict(extra or {})
    documents.update(pinned_contexts())

    def load(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        key = url.split("#", 1)[0]
        try:
            document = documents[key]
        except KeyError:
            raise UnknownDocumentError(url) from None
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": key, "document": document}

    return load
