"""Bake and unbake Open Badges credentials in PNG images.

OB 3.0 §5.3.1 (PNG) and OB 2.0 Baking §PNGs: the credential is the text of one uncompressed ``iTXt``
chunk (PNG 2003 §11.3.4.5, w3.org/TR/PNG/#11iTXt) whose keyword is ``openbadgecredential`` (3.0) or
``openbadges`` (2.0). Neither spec says where the chunk goes and PNG lets ``iTXt`` sit anywhere
between IHDR and IEND; it is placed directly after IHDR, as the OB 2.0 reference bakery
(openbadges-bakery ``png_bakery.baked_chunks``) does, so an extractor that "parses the PNG datastream
until the first iTXt chunk" (§Extracting) meets it before any image data.
"""

from __future__ import annotations

from .errors import BakingError, NotBakedError
from .limits import MAX_IMAGE_BYTES, MAX_TEXT_BYTES
from .payload import OB2, OB3, PNG_KEYWORDS, BakedPayload, ObVersion, check_ob_version, classify_text, encode_text
from .png_chunks import Chunk, PngInfo, read_chunks, text_keyword, write_chunks

__all__ = ["PngInfo", "bake_png", "check_png", "unbake_png"]

_ITXT_UNCOMPRESSED_HEADER = b"\x00\x00\x00\x00\x00"
"""After the keyword: keyword NUL, compression flag 0, method 0, empty language tag + NUL, empty
translated keyword + NUL (OB 3.0 §5.3.1.1 example chunk)."""


def check_png(data: bytes) -> PngInfo:
    """Validate an uploaded PNG's structure and size limits and return its dimensions (PNG §5, §11.2.2)."""
    _, info = read_chunks(data)
    return info


def bake_png(image: bytes, text: str, *, ob_version: str = "3.0") -> bytes:
    """Return ``image`` with ``text`` baked in one uncompressed ``iTXt`` chunk (OB 3.0 §5.3.1.1).

    Any existing text chunk with the same keyword is removed first, so baking twice replaces the
    credential (the spec lets the implementor overwrite). The new chunk follows IHDR.
    """
    version = check_ob_version(ob_version)
    encoded = encode_text(text)
    classify_text(text, version)
    chunks, _ = read_chunks(image)
    keyword = PNG_KEYWORDS[version]
    kept = [chunk for chunk in chunks[1:] if text_keyword(chunk) != keyword]
    credential = Chunk(b"iTXt", keyword + _ITXT_UNCOMPRESSED_HEADER + encoded)
    baked = write_chunks([chunks[0], credential, *kept])
    if len(baked) > MAX_IMAGE_BYTES:
        raise BakingError(f"baked PNG would be {len(baked)} bytes; the limit is {MAX_IMAGE_BYTES} bytes")
    return baked


def unbake_png(data: bytes) -> BakedPayload:
    """Return the credential baked into a PNG (OB 3.0 §5.3.1.2, OB 2.0 Baking §Extracting).

    An ``openbadgecredential`` chunk wins over ``openbadges``. A keyword must not appear in more than
    one chunk. OB 2.0 also accepts the pre-spec ``tEXt`` chunk holding a hosted assertion URL
    (OB 2.0 Baking §Legacy PNGs); an ``iTXt`` chunk is preferred over it.
    """
    chunks, _ = read_chunks(data)
    by_keyword: dict[bytes, list[Chunk]] = {keyword: [] for keyword in PNG_KEYWORDS.values()}
    for chunk in chunks:
        keyword = text_keyword(chunk)
        if keyword in by_keyword:
            by_keyword[keyword].append(chunk)
    ob3_chunks = by_keyword[PNG_KEYWORDS[OB3]]
    if ob3_chunks:
        return BakedPayload("png", OB3, _only_itxt_text(ob3_chunks, OB3))
    ob2_chunks = by_keyword[PNG_KEYWORDS[OB2]]
    if not ob2_chunks:
        raise NotBakedError("no Open Badges credential is baked into this PNG")
    if any(chunk.type == b"iTXt" for chunk in ob2_chunks):
        return BakedPayload("png", OB2, _only_itxt_text([c for c in ob2_chunks if c.type != b"tEXt"], OB2))
    return BakedPayload("png", OB2, _legacy_text(ob2_chunks))


def _only_itxt_text(chunks: list[Chunk], version: ObVersion) -> str:
    """Return the text of the single uncompressed ``iTXt`` chunk among ``chunks``, refusing anything else."""
    keyword = PNG_KEYWORDS[version].decode("ascii")
    if len(chunks) > 1:
        raise BakingError(f"PNG carries {len(chunks)} '{keyword}' chunks; the spec allows only one")
    chunk = chunks[0]
    if chunk.type != b"iTXt":
        raise BakingError(f"the '{keyword}' credential is in a {chunk.name} chunk; it must be an uncompressed iTXt")
    return _itxt_text(chunk, keyword)


def _itxt_text(chunk: Chunk, keyword: str) -> str:
    """Decode an ``iTXt`` chunk (PNG 2003 §11.3.4.5), refusing compression as OB 3.0 §5.3.1.1 requires."""
    rest = chunk.data[len(keyword) + 1 :]
    if len(rest) < 2:
        raise BakingError(f"iTXt chunk '{keyword}' is truncated before its compression flag")
    flag = rest[0]
    if flag == 1:
        raise BakingError(f"iTXt chunk '{keyword}' is compressed; Open Badges baking forbids compression")
    if flag != 0:
        raise BakingError(f"iTXt chunk '{keyword}' has invalid compression flag {flag}")
    language_end = rest.find(b"\x00", 2)
    translated_end = rest.find(b"\x00", language_end + 1) if language_end != -1 else -1
    if translated_end == -1:
        raise BakingError(f"iTXt chunk '{keyword}' is malformed: language tag or translated keyword is unterminated")
    raw = rest[translated_end + 1 :]
    _check_text_size(raw, keyword)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError(f"iTXt chunk '{keyword}' text is not valid UTF-8 (byte {exc.start})") from exc


def _legacy_text(chunks: list[Chunk]) -> str:
    """Return the Latin-1 text of the single pre-spec ``tEXt:openbadges`` chunk (OB 2.0 Baking §Legacy PNGs)."""
    if len(chunks) > 1:
        raise BakingError(f"PNG carries {len(chunks)} 'openbadges' chunks; the spec allows only one")
    chunk = chunks[0]
    if chunk.type != b"tEXt":
        raise BakingError("the 'openbadges' credential is in a zTXt chunk; compressed text is not allowed")
    raw = chunk.data[len(b"openbadges\x00") :]
    _check_text_size(raw, "openbadges")
    return raw.decode("latin-1")


def _check_text_size(raw: bytes, keyword: str) -> None:
    """Refuse empty credential text and text above :data:`MAX_TEXT_BYTES`."""
    if not raw:
        raise BakingError(f"the '{keyword}' chunk holds no text")
    if len(raw) > MAX_TEXT_BYTES:
        raise BakingError(f"the '{keyword}' chunk holds {len(raw)} bytes of text; the limit is {MAX_TEXT_BYTES}")
