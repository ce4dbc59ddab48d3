"""Read paging links from an HTTP ``Link`` header (RFC 8288 §3), as AGS 2.0 §3.2 and NRPS 2.0 §2.4.2 use them.

pylti1p3 2.0.0 lower-cases the header and only matches a quoted ``rel="next"``, so it stops after the
first page of lti1p3platform (``rel=next``) and breaks case-sensitive page tokens (research lti.md
§2.2, N29). This reader follows the RFC grammar instead:

* link-values are separated by commas *outside* ``<…>`` and quoted strings, so URLs and quoted
  parameters may contain commas and semicolons;
* parameters are ``name=token`` or ``name="quoted string"`` (backslash escapes), names are
  case-insensitive, only the first ``rel`` counts (RFC 8288 §3.3);
* ``rel`` may list several relation types separated by spaces (``rel="next last"``); relation types
  are compared case-insensitively, URLs keep their case;
* Moodle 5.1 quirks (recorded AGS line-item paging): ``rel=“next”`` with typographic quotes, and
  ``&amp;`` HTML-escaped inside the ``<…>`` URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

_SPACE = " \t\r\n"
# Opening quote → closing quote: ASCII, and the typographic pair Moodle writes.
_QUOTES = {'"': '"', "\u201c": "\u201d"}


def links(link_header: str | None, *, base: str | None = None) -> dict[str, str]:
    """Return ``{relation type: URL}`` for a Link header; the first link of each relation wins.

    ``base`` resolves relative URL references (RFC 8288 §3.1: relative to the request URL).
    """
    found: dict[str, str] = {}
    for url, params in _link_values(link_header or ""):
        target = urljoin(base, url) if base else url
        for rel in params.get("rel", "").split():
            found.setdefault(rel.lower(), target)
    return found


def next_page_url(link_header: str | None, *, base: str | None = None) -> str | None:
    """Return the URL of the next page (``rel=next``), or None on the last page."""
    return links(link_header, base=base).get("next")


def _link_values(header: str) -> Iterator[tuple[str, dict[str, str]]]:
    i, n = 0, len(header)
    while i < n:
        while i < n and (header[i] in _SPACE or header[i] == ","):
            i += 1
        if i >= n:
            return
        if header[i] != "<":
            i = _skip_link_value(header, i)  # not a link-value: ignore it, keep reading the others
            continue
        end = header.find(">", i + 1)
        if end < 0:
            return
        url = header[i + 1:end].strip().replace("&amp;", "&")
        i = end + 1
        params: dict[str, str] = {}
        while True:
            i = _skip_space(header, i)
            if i >= n or header[i] == ",":
                break
            if header[i] != ";":
                i = _skip_link_value(header, i)
                break
            i = _skip_space(header, i + 1)
            start = i
            while i < n and header[i] not in "=;," and header[i] not in _SPACE:
                i += 1
            name = header[start:i].lower()
            i = _skip_space(header, i)
            value = ""
            if i < n and header[i] == "=":
                i = _skip_space(header, i + 1)
                if i < n and header[i] in _QUOTES:
                    value, i = _quoted(header, i)
                else:
                    start = i
                    while i < n and header[i] not in ";," and header[i] not in _SPACE:
                        i += 1
                    value = header[start:i]
            if name:
                params.setdefault(name, value)
        if url:
            yield url, params


def _skip_space(header: str, i: int) -> int:
    while i < len(header) and header[i] in _SPACE:
        i += 1
    return i


def _quoted(header: str, i: int) -> tuple[str, int]:
    """Read a quoted string starting at ``header[i]``; return its content and the index after it."""
    closing = _QUOTES[header[i]]
    out: list[str] = []
    i += 1
    while i < len(header):
        char = header[i]
        if char == "\\" and i + 1 < len(header):
            out.append(header[i + 1])
            i += 2
            continue
        if char == closing:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return "".join(out), i


def _skip_link_value(header: str, i: int) -> int:
    """Skip to the comma ending this link-value (commas inside ``<…>`` and quotes do not count)."""
    while i < len(header):
        char = header[i]
        if char == ",":
            return i
        if char == "<":
            end = header.find(">", i + 1)
            i = len(header) if end < 0 else end + 1
        elif char in _QUOTES:
            i = _quoted(header, i)[1]
        else:
            i += 1
    return i
