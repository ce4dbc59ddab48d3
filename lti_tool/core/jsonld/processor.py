"""A pyld JSON-LD processor that remembers processed contexts and reports what expansion drops.

Stock pyld keys its processed-context cache on a ``uuid1`` minted for every cloned active context,
so type-scoped contexts (the Open Badges context is made of them) are processed again on every
call. Here each processed context is remembered under a stable key (the active context it was
processed against, the local context, and the processing flags); the result is the same object
every time, so the scoped contexts below it hit as well. The output is unchanged: only repeated
work is skipped. Every active context pyld returns is frozen and carries a ``_uuid``, and pyld's
initial context is a frozen singleton, so the keys are stable (checked against stock pyld by
``tests/core/jsonld/test_processor.py``).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pyld.jsonld import JsonLdProcessor

_MEMO_SIZE = 4096


class ContextMemo:
    """Hold processed active contexts by stable key, bounded, shared between processors."""

    def __init__(self, size: int = _MEMO_SIZE) -> None:
        self._entries: OrderedDict[tuple, tuple[dict, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: tuple, active_ctx: dict, keep_alive: Any) -> None:
        # keep_alive holds the local context object whose id() is part of the key, so that id
        # cannot be reused by another object while the entry exists.
        with self._lock:
            self._entries[key] = (active_ctx, keep_alive)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _local_context_key(local_ctx: Any) -> tuple | None:
    """Return a hashable key for a local context, or None when it cannot be keyed cheaply."""
    if isinstance(local_ctx, str):
        return ("url", local_ctx)
    if isinstance(local_ctx, list) and all(isinstance(item, str) for item in local_ctx):
        return ("urls", tuple(local_ctx))
    if isinstance(local_ctx, dict | list):
        return ("object", id(local_ctx))
    return None


class MemoizingProcessor(JsonLdProcessor):
    """Process contexts once per stable key and call ``on_drop`` for every dropped property.

    ``on_drop(expanded, key)`` gets the property's expansion (``None`` when a context maps the term
    to null or the key looks like an unknown keyword) and the key as written in the document.
    """

    def __init__(self, memo: ContextMemo, on_drop: Callable[[str | None, str | None], None]) -> None:
        super().__init__(on_property_dropped=self._dropped)
        self._memo = memo
        self._on_drop = on_drop

    def _dropped(self, expanded_property: str | None) -> None:
        # pyld reports only the expansion (None for a term mapped to null); the key as written is the
        # loop variable ``key`` of its _expand_object, the caller. Reading it here keeps the hot path
        # free of bookkeeping; pyld is pinned (==3.3.0) and tests/core/jsonld/test_safe_mode.py checks it.
        caller = sys._getframe(1)
        key = caller.f_locals.get("key") if caller.f_code.co_name == "_expand_object" else None
        self._on_drop(expanded_property, key if isinstance(key, str) else None)

    def _process_context(
        self,
        active_ctx,
        local_ctx,
        options,
        override_protected=False,
        propagate=True,
        validate_scoped=True,
        cycles=None,
    ):
        local_key = _local_context_key(local_ctx)
        if local_key is None or "_uuid" not in active_ctx:
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        key = (active_ctx["_uuid"], local_key, override_protected, propagate, validate_scoped)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        self._memo.put(key, result, local_ctx)
        return result
