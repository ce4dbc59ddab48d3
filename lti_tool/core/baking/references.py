"""Decide whether a URL reference or a piece of CSS inside an SVG may stay.

Only two kinds of reference are kept: same-document fragments (``#id``) and inline raster images
(``data:image/png|jpeg|gif|webp``). Everything else could fetch a remote resource, run script or
embed an active document, which a badge image never needs.
"""

from __future__ import annotations

import re

_URL_EDGE_NOISE = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]+")
_SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]", re.IGNORECASE)

_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\f]?|\r\n|(.))", re.DOTALL)
_CSS_URL_START = re.compile(r"url\(")
_CSS_WHITESPACE = " \t\n\r\f"
_CSS_UNSAFE = re.compile(
    r"@import|expression\s*\(|(?<![\w-])(?:-webkit-)?image-set\(|(?<![\w-])(?:image|src|element|cross-fade)\(|"
    r"-moz-binding|behavior\s*:"
)


def is_safe_reference(value: str) -> bool:
    """Return whether a URL is a same-document fragment or an inline raster ``data:image`` URI.

    The value is first cleaned as the WHATWG URL parser cleans it (leading and trailing C0 controls and
    spaces dropped, tabs and newlines dropped everywhere), so ``" #id"`` counts as a fragment.
    """
    compact = _url_as_parsed(value)
    return compact.startswith("#") or _SAFE_DATA_IMAGE.match(compact) is not None


def is_fragment_reference(value: str) -> bool:
    """Return whether a URL points into the same document (``#id``)."""
    return _url_as_parsed(value).startswith("#")


def _url_as_parsed(value: str) -> str:
    """Strip what the WHATWG URL parser strips before parsing (URL Standard §4.4, basic URL parser)."""
    return _URL_TAB_OR_NEWLINE.sub("", _URL_EDGE_NOISE.sub("", value))


def is_safe_css(css: str) -> bool:
    """Return whether CSS text (a ``style`` attribute, a ``<style>`` sheet or a presentation attribute) is inert.

    Comments are dropped and escapes decoded before looking, so escaped spellings of ``url(`` are caught.
    Unsafe: ``@import``, functions that load by URL string (``image-set()``, ``image()``, ``src()`` …),
    legacy script hooks, and any ``url(...)`` whose target is not a fragment or an inline raster image.
    """
    if not any(marker in css for marker in "\\(@"):
        return True
    normalised = _CSS_ESCAPE.sub(_unescape, _CSS_COMMENT.sub(" ", css)).lower()
    if _CSS_UNSAFE.search(normalised):
        return False
    for start in _CSS_URL_START.finditer(normalised):
        target = _url_argument(normalised, start.end())
        if target is None or not is_safe_reference(target):
            return False
    return True


def _url_argument(css: str, pos: int) -> str | None:
    """Return the argument of the ``url(`` whose body starts at ``pos``, or None if it is malformed.

    Scans with ``str`` methods rather than a backtracking regex, so hostile input stays linear.
    """
    length = len(css)
    while pos < length and css[pos] in _CSS_WHITESPACE:
        pos += 1
    if pos < length and css[pos] in "\"'":
        end = css.find(css[pos], pos + 1)
        if end == -1:
            return None
        argument, pos = css[pos + 1 : end], end + 1
    else:
        end = pos
        while end < length and css[end] not in _CSS_WHITESPACE and css[end] not in "()\"'":
            end += 1
        argument, pos = css[pos:end], end
    while pos < length and css[pos] in _CSS_WHITESPACE:
        pos += 1
    return argument if pos < length and css[pos] == ")" else None


def _unescape(match: re.Match[str]) -> str:
    """Decode one CSS escape (CSS Syntax §4.3.7); a line continuation decodes to nothing."""
    hex_digits, char = match.groups()
    if hex_digits is not None:
        code = int(hex_digits, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return "\ufffd"
        return chr(code)
    if char is None or char in "\n\r\f":
        return ""
    return char
