"""What the core asks of its caller: fetching remote documents, telling the time.

The core never opens a connection. Verification receives a :data:`Resolver` that returns the JSON
document at a URL (the Django side fetches it over HTTP with limits, or answers from its own
database for its own URLs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Clock = Callable[[], datetime]


class ResolveError(Exception):
    """Raise from a resolver when a URL cannot be turned into a JSON document."""

    def __init__(self, url: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


Resolver = Callable[[str], Any]


def no_network(url: str) -> Any:
    """Resolve nothing: a resolver for fully offline verification."""
    raise ResolveError(url, "no resolver configured for remote documents")


def memoized(resolver: Resolver) -> Resolver:
    """Wrap a resolver so each URL is fetched at most once (per verification)."""
    cache: dict[str, Any] = {}

    def resolve(url: str) -> Any:
        if url not in cache:
            try:
                cache[url] = resolver(url)
            except ResolveError as error:
                cache[url] = error
        result = cache[url]
        if isinstance(result, ResolveError):
            raise result
        return result

    return resolve
