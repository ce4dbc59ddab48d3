"""The baked payload and the rules for what text may be baked.

OB 3.0 §5.3 (Baked Badge) allows the JSON of an OpenBadgeCredential or its Compact JWS (VC-JWT).
OB 2.0 Baking §PNGs/§SVGs allows a signed assertion (JWS), the assertion JSON, or the hosted
assertion URL (the SVG ``verify`` attribute and the legacy ``tEXt`` chunk).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from .errors import BakingError
from .limits import MAX_TEXT_BYTES

ObVersion = Literal["3.0", "2.0"]
TextKind = Literal["json", "jws", "url"]

OB3: ObVersion = "3.0"
OB2: ObVersion = "2.0"

PNG_KEYWORDS: dict[str, bytes] = {OB3: b"openbadgecredential", OB2: b"openbadges"}
"""``iTXt`` keyword per version: OB 3.0 §5.3.1.1, OB 2.0 Baking §PNGs."""

SVG_NAMESPACES: dict[str, str] = {OB3: "https://purl.imsglobal.org/ob/v3p0", OB2: "http://openbadges.org"}
"""Namespace bound to the ``openbadges`` prefix per version: OB 3.0 §5.3.2.1, OB 2.0 Baking §SVGs."""

SVG_ELEMENTS: dict[str, str] = {OB3: "credential", OB2: "assertion"}
"""Local name of the element that carries the credential, per version."""

SVG_PREFIX = "openbadges"

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f<>\"'`{}|\\^]+", re.IGNORECASE)


@dataclass(frozen=True)
class BakedPayload:
    """What an image carries: its format, the Open Badges version and the embedded text, verbatim."""

    format: Literal["png", "svg"]
    ob_version: ObVersion
    text: str


def check_ob_version(ob_version: str) -> ObVersion:
    """Return ``ob_version`` if it is ``"3.0"`` or ``"2.0"``; reject anything else."""
    if ob_version == OB3:
        return OB3
    if ob_version == OB2:
        return OB2
    raise BakingError(f"unsupported Open Badges version {ob_version!r}; expected '3.0' or '2.0'")


def is_http_url(value: str) -> bool:
    """Return whether ``value`` is an absolute http(s) URL without whitespace or markup characters."""
    return _HTTP_URL.fullmatch(value) is not None


def encode_text(text: str) -> bytes:
    """Return ``text`` as UTF-8 after checking it is non-empty, NUL-free and within :data:`MAX_TEXT_BYTES`."""
    if not isinstance(text, str):
        raise BakingError(f"credential text must be a str, not {type(text).__name__}")
    if not text:
        raise BakingError("credential text is empty; there is nothing to bake")
    if "\x00" in text:
        raise BakingError("credential text contains a NUL character")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError(f"credential text is not valid Unicode: {exc.reason} at index {exc.start}") from exc
    if len(encoded) > MAX_TEXT_BYTES:
        raise BakingError(f"credential text is {len(encoded)} bytes; the limit is {MAX_TEXT_BYTES} bytes")
    return encoded


def classify_text(text: str, ob_version: ObVersion) -> TextKind:
    """Return whether ``text`` is credential JSON, a Compact JWS or (OB 2.0 only) a hosted assertion URL.

    JSON is recognised by its leading ``{`` and must parse as a JSON object.
    """
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise BakingError(f"credential text starts with '{{' but is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise BakingError("credential text starts with '{' but is not a JSON object")
        return "json"
    if _COMPACT_JWS.fullmatch(text):
        return "jws"
    if ob_version == OB2 and is_http_url(text):
        return "url"
    allowed = "JSON object or a Compact JWS" if ob_version == OB3 else "JSON object, a Compact JWS or an http(s) URL"
    raise BakingError(f"credential text for Open Badges {ob_version} must be a {allowed}")
