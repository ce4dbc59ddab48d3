"""Test helpers for the baking tests: a tiny PNG encoder, an independent chunk walker, sample payloads."""

from __future__ import annotations

import json
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
OB2_NS = "http://openbadges.org"


def png_chunk(ctype: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    """Encode one chunk; pass crc to forge a wrong one."""
    value = zlib.crc32(ctype + data) if crc is None else crc
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", value)


def ihdr(width: int, height: int, *, depth: int = 8, colour: int = 6) -> bytes:
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))


def pixel_rows(width: int, height: int) -> list[bytes]:
    """RGBA8 rows of a deterministic gradient."""
    return [bytes((x * 37 + y) % 256 for x in range(width) for _ in range(4)) for y in range(height)]


def idat(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + row for row in pixel_rows(width, height))
    return png_chunk(b"IDAT", zlib.compress(raw))


def make_png(width: int = 5, height: int = 3, *, before_idat: bytes = b"", after_idat: bytes = b"") -> bytes:
    """Encode an RGBA8 PNG, optionally with extra raw chunk bytes around IDAT."""
    return (
        PNG_SIGNATURE + ihdr(width, height) + before_idat + idat(width, height) + after_idat + png_chunk(b"IEND", b"")
    )


def itxt(keyword: bytes, text: bytes, *, flag: int = 0, method: int = 0) -> bytes:
    """Encode an iTXt chunk with empty language tag and translated keyword."""
    return png_chunk(b"iTXt", keyword + b"\x00" + bytes((flag, method)) + b"\x00\x00" + text)


def walk_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG into (type, data) pairs, asserting every length and CRC independently of the code under test."""
    assert data.startswith(PNG_SIGNATURE)
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        assert len(body) == length, f"chunk {ctype!r} truncated"
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        assert crc == zlib.crc32(ctype + body), f"bad CRC in {ctype!r}"
        chunks.append((ctype, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1][0] == b"IEND"
    return chunks


SIMPLE_SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 100 100" width="100" height="100">\n'
    "  <defs>\n"
    '    <linearGradient id="grad"><stop offset="0" stop-color="#fc0"/><stop offset="1" stop-color="#c60"/>'
    "</linearGradient>\n"
    '    <circle id="dot" r="4" fill="#000"/>\n'
    "  </defs>\n"
    '  <circle cx="50" cy="50" r="45" fill="url(#grad)" style="stroke:#333;stroke-width:2"/>\n'
    '  <use xlink:href="#dot" x="50" y="20"/>\n'
    '  <text x="50" y="60" text-anchor="middle">Café ✓</text>\n'
    "</svg>\n"
)

JWS = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImRpZDp3ZWI6ZXhhbXBsZS5vcmcja2V5LTEiLCJ0eXAiOiJKV1QifQ"
    ".eyJ2YyI6eyJpZCI6InVybjp1dWlkOjEyMyJ9LCJpc3MiOiJodHRwczovL2V4YW1wbGUub3JnIn0"
    ".c2lnbmF0dXJlLWJ5dGVzLW5vdC1yZWFsbHktYS1zaWduYXR1cmU_-w"
)
ASSERTION_URL = "https://issuer.example.org/assertions/123?x=1&y=2"


def credential_json(name: str = "Café 数据 ✓", *, padding: int = 0) -> str:
    """An OB 3.0-shaped credential as compact JSON, non-ASCII kept literal; padding grows it by that many chars."""
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://issuer.example.org/credentials/123",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": name}},
        "evidence": [{"narrative": "x" * padding}] if padding else [],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
