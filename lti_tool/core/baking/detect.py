"""Recognise a badge image's format and unbake it (OB 3.0 §5.3: a baked badge is a PNG or an SVG)."""

from __future__ import annotations

import re

from .errors import BakingError
from .limits import check_image_size
from .payload import BakedPayload
from .png import unbake_png
from .png_chunks import PNG_SIGNATURE
from .svg import unbake_svg

__all__ = ["looks_like_svg", "unbake"]

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_WHITESPACE = b" \t\r\n"
_SVG_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]|<!doctype\s+svg[\s>]", re.IGNORECASE)


def looks_like_svg(data: bytes) -> bool:
    """Return whether ``data`` looks like an SVG document.

    After an optional UTF-8 BOM, whitespace, the XML declaration, processing instructions and comments,
    it must start with an ``<svg`` root tag (or an SVG DOCTYPE, which parsing then refuses).
    """
    pos = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    while True:
        while pos < len(data) and data[pos] in _XML_WHITESPACE:
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
        else:
            return _SVG_ROOT.match(data, pos) is not None
        if end == -1:
            return False
        pos = end + (2 if data[pos + 1 : pos + 2] == b"?" else 3)


def unbake(data: bytes) -> BakedPayload:
    """Return the credential baked into a PNG or SVG badge image, choosing the format from the bytes."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BakingError(f"image must be bytes, not {type(data).__name__}")
    data = bytes(data)
    check_image_size(len(data))
    if data.startswith(PNG_SIGNATURE):
        return unbake_png(data)
    if looks_like_svg(data):
        return unbake_svg(data)
    raise BakingError("not a PNG or SVG image")
