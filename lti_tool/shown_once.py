"""Secrets a page shows once, carried across a redirect in the session, sealed and short-lived.

A new destination's secrets are made by a POST and shown by the GET it redirects to
(post/redirect/get, so a reload adds nothing twice). In between they sit in the session, which the
database keeps: sealed with the key-encryption key and bound to the session and the item, dropped
when shown and ignored after a few minutes.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from .key_encryption import KeyEncryptionError, open_sealed, seal

_PREFIX = "shown-once-"
TTL_SECONDS = 300


def stash(session: Any, name: str, value: Any) -> None:
    """Keep ``value`` (JSON) for the next :func:`take` of ``name`` in this session."""
    if not session.session_key:
        session.save()  # the key binds the sealed value to this session
    now = time.time()
    for key in [k for k in session.keys() if k.startswith(_PREFIX)]:  # never shown: drop when stale
        if now - float((session[key] or {}).get("at", 0)) > TTL_SECONDS:
            del session[key]
    kek_id, sealed = seal(json.dumps(value).encode("utf-8"), associated=_associated(session, name))
    session[_PREFIX + name] = {"kek": kek_id, "sealed": base64.b64encode(sealed).decode("ascii"),
                               "at": now}


def take(session: Any, name: str) -> Any | None:
    """Return what :func:`stash` kept under ``name`` and forget it; None if absent, stale or unreadable."""
    held = session.pop(_PREFIX + name, None)
    if not isinstance(held, dict) or time.time() - float(held.get("at", 0)) > TTL_SECONDS:
        return None
    try:
        plain = open_sealed(held["kek"], base64.b64decode(held["sealed"]), associated=_associated(session, name))
    except (KeyError, ValueError, KeyEncryptionError):
        return None
    return json.loads(plain)


def _associated(session: Any, name: str) -> str:
    return f"accolade.shown-once:{session.session_key}:{name}"
