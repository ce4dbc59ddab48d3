"""Public ids are UUIDs: read one from untrusted text without raising."""

from __future__ import annotations

import uuid


def parse_uuid(value: object) -> uuid.UUID | None:
    """Return the UUID in ``value``, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None
