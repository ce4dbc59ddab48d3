"""Checks on text and URLs that people type into definitions, forms and files."""

from __future__ import annotations

import re

_HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_http_url(value: object) -> bool:
    """Return True for an absolute http(s) URL without whitespace (never javascript:, data:…)."""
    return isinstance(value, str) and bool(_HTTP_URL.match(value.strip()))


def has_control_characters(value: str) -> bool:
    """Return True when text holds C0 control characters other than tab, line feed and carriage return."""
    return bool(_CONTROL.search(value))
