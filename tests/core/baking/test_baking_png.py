"""PNG baking: OB 3.0 §5.3.1 / OB 2.0 Baking §PNGs, and refusal of hostile PNGs."""

from __future__ import annotations

import struct
import zlib

import pytest

from lti_tool.core.baking import (
    MAX_DIMENSION,
    MAX_IMAGE_BYTES,
    MAX_TEXT_BYTES,
    BakedPayload,
    BakingError,
    NotBakedError,
    PngInfo,
    bake_png,
    check_png,
    unbake_png,
)
from tests.core.baking.baking_testkit import (
    ASSERTION_URL,
    JWS,
    PNG_SIGNATURE,
    credential_json,
    idat,
    ihdr,
    itxt,
    make_png,
    pixel_rows,
    png_chunk,
    walk_chunks,
)

KEYWORDS = {"3.0": b"openbadgecredential", "2.0": b"openbadges"}
PAYLOADS = {
    "json-ascii": credential_json("Teamwork"),
    "json-non-ascii": credential_json("Café 数据 ✓"),
    "json-200kb": credential_json("Café 数据 ✓", padding=200_000),
    "jws": JWS,
}


def credential_chunks(data: bytes, keyword: bytes) -> list[tuple[bytes, bytes]]:
    return [(t, d) for t, d in walk_chunks(data) if t in (b"iTXt", b"tEXt", b"zTXt") and d.startswith(keyword + b"\0")]


# --- round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.0", "2.0"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_png_round_trip_is_byte_exact(version, payload):
    baked = bake_png(make_png(), payload, ob_version=version)
    assert unbake_png(baked) == BakedPayload("png", version, payload)
    assert len(credential_chunks(baked, KEYWORDS[version])) == 1


def test_png_ob2_round_trip_of_hosted_url():
    baked = bake_png(make_png(), ASSERTION_URL, ob_version="2.0")
    assert unbake_png(baked) == BakedPayload("png", "2.0", ASSERTION_URL)


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_png_chunk_layout_matches_spec(version):
    text = credential_json()
    chunks = walk_chunks(bake_png(make_png(), text, ob_version=version))
    expected = KEYWORDS[version] + b"\x00" + b"\x00" + b"\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    assert (b"iTXt", expected) in chunks


def test_png_chunk_is_placed_directly_after_ihdr():
    chunks = walk_chunks(bake_png(make_png(), JWS))
    assert [t for t, _ in chunks] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_png_baking_twice_replaces(version):
    once = bake_png(make_png(), credential_json("alpha"), ob_version=version)
    twice = bake_png(once, credential_json("omega"), ob_version=version)
    assert unbake_png(twice).text == credential_json("omega")
    assert len(credential_chunks(twice, KEYWORDS[version])) == 1
    assert len(twice) == len(once)


def test_png_baking_replaces_legacy_text_chunk():
    legacy = make_png(after_idat=png_chunk(b"tEXt", b"openbadges\x00" + ASSERTION_URL.encode()))
    baked = bake_png(legacy, JWS, ob_version="2.0")
    assert credential_chunks(baked, b"openbadges") == [(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + JWS.encode())]


def test_png_keeps_other_chunks_and_pixels():
    comment = png_chunk(b"tEXt", b"Comment\x00made by hand")
    original = make_png(7, 4, after_idat=comment)
    baked = bake_png(original, JWS)
    assert [c for c in walk_chunks(baked) if c[0] != b"iTXt"] == walk_chunks(original)


def test_png_baked_image_still_decodes():
    png = pytest.importorskip("png", reason="pypng (an openbadges-bakery dependency) decodes the result")
    baked = bake_png(bake_png(make_png(6, 5), credential_json(padding=1000)), JWS, ob_version="2.0")
    width, height, rows, _ = png.Reader(bytes=baked).read()
    assert (width, height) == (6, 5)
    assert [bytes(row) for row in rows] == pixel_rows(6, 5)


def test_png_ob3_and_ob2_chunks_coexist_and_ob3_wins():
    both = bake_png(bake_png(make_png(), credential_json("three")), credential_json("two"), ob_version="2.0")
    assert unbake_png(both) == BakedPayload("png", "3.0", credential_json("three"))


def test_png_unbake_accepts_foreign_language_tag_and_translated_keyword():
    text = credential_json()
    chunk = png_chunk(b"iTXt", b"openbadgecredential\x00\x00\x00en\x00Credential\x00" + text.encode())
    assert unbake_png(make_png(after_idat=chunk)).text == text


def test_png_unbake_finds_chunk_after_idat():
    assert unbake_png(make_png(after_idat=itxt(b"openbadgecredential", JWS.encode()))).text == JWS


def test_png_legacy_text_chunk_with_url_is_ob2():
    legacy = make_png(before_idat=png_chunk(b"tEXt", b"openbadges\x00" + ASSERTION_URL.encode("latin-1")))
    assert unbake_png(legacy) == BakedPayload("png", "2.0", ASSERTION_URL)


def test_png_itxt_wins_over_legacy_text_chunk():
    both = make_png(
        before_idat=png_chunk(b"tEXt", b"openbadges\x00" + ASSERTION_URL.encode()),
        after_idat=itxt(b"openbadges", JWS.encode()),
    )
    assert unbake_png(both).text == JWS


# --- bake arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        ("", "3.0", "empty"),
        ("{not json", "3.0", "not valid JSON"),
        ("{" + "[" * 100_000, "3.0", "not valid JSON"),
        ("just words", "3.0", "Compact JWS"),
        (ASSERTION_URL, "3.0", "Compact JWS"),
        ("just words", "2.0", "http"),
        ("{}\x00", "3.0", "NUL"),
        ('{"a": "\ud800"}', "3.0", "not valid Unicode"),
        ('{"a":"' + "x" * MAX_TEXT_BYTES + '"}', "3.0", "limit is 1048576"),
        (JWS, "4.0", "unsupported Open Badges version"),
    ],
)
def test_png_bake_rejects_bad_text(text, version, message):
    with pytest.raises(BakingError, match=message):
        bake_png(make_png(), text, ob_version=version)


def test_png_bake_refuses_output_above_image_limit():
    padding = png_chunk(b"zzZz", b"\0" * (MAX_IMAGE_BYTES - 200_000))
    with pytest.raises(BakingError, match="baked PNG would be"):
        bake_png(make_png(after_idat=padding), credential_json(padding=300_000))


# --- check_png -----------------------------------------------------------------------------------------------


def test_check_png_returns_dimensions():
    assert check_png(make_png(9, 2)) == PngInfo(width=9, height=2)


def test_check_png_accepts_the_dimension_limit():
    assert check_png(make_png(MAX_DIMENSION, 1)) == PngInfo(MAX_DIMENSION, 1)


# --- hostile PNGs --------------------------------------------------------------------------------------------


def ihdr_payload(width: int = 5, height: int = 3, depth: int = 8, colour: int = 6) -> bytes:
    return struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)


GOOD = make_png()
IHDR_END = 8 + 25
IDAT_START = IHDR_END
IDAT_LENGTH = struct.unpack_from(">I", GOOD, IDAT_START)[0]

HOSTILE_PNGS = {
    "zero-bytes": (b"", "empty"),
    "not-a-png": (b"GIF89a" + b"\0" * 40, "signature"),
    "jpeg": (b"\xff\xd8\xff\xe0" + b"\0" * 40, "signature"),
    "signature-only": (PNG_SIGNATURE, "without an IEND"),
    "truncated-in-chunk-header": (GOOD[: IHDR_END + 5], "cannot hold a chunk header"),
    "truncated-in-chunk-data": (GOOD[: IDAT_START + 8 + IDAT_LENGTH // 2], r"chunk IDAT declares \d+ bytes but only"),
    "missing-crc": (GOOD[: IDAT_START + 8 + IDAT_LENGTH], "IDAT .*missing its 4-byte CRC"),
    "crc-truncated": (GOOD[: IDAT_START + 8 + IDAT_LENGTH + 2], "missing its 4-byte CRC"),
    "first-chunk-not-ihdr": (
        PNG_SIGNATURE + png_chunk(b"tEXt", b"a\0b") + GOOD[8:],
        "first chunk must be IHDR, found tEXt",
    ),
    "ihdr-too-long": (
        PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload() + b"\0") + GOOD[IHDR_END:],
        "IHDR must be 13 bytes, found 14",
    ),
    "ihdr-too-short": (
        PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload()[:12]) + GOOD[IHDR_END:],
        "IHDR must be 13 bytes, found 12",
    ),
    "ihdr-twice": (PNG_SIGNATURE + ihdr(5, 3) + GOOD[8:], "IHDR appears more than once"),
    "bad-bit-depth": (
        PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload(depth=3)) + GOOD[IHDR_END:],
        "bit depth 3 is not allowed",
    ),
    "zero-width": (PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload(width=0)) + GOOD[IHDR_END:], "0x3 pixels"),
    "no-iend": (GOOD[:-12], "without an IEND"),
    "iend-not-empty": (GOOD[:-12] + png_chunk(b"IEND", b"x"), "IEND must be empty"),
    "data-after-iend": (GOOD + b"\0\0\0\0", "4 bytes follow the IEND"),
    "chunk-after-iend": (GOOD + png_chunk(b"tEXt", b"a\0b"), "15 bytes follow the IEND"),
    "no-idat": (PNG_SIGNATURE + ihdr(5, 3) + png_chunk(b"IEND", b""), "no IDAT"),
    "length-above-remaining": (
        GOOD[:IDAT_START] + struct.pack(">I", 5000) + GOOD[IDAT_START + 4 : IDAT_START + 100],
        r"chunk IDAT declares 5000 bytes but only \d+ remain",
    ),
    "length-above-2^31-1": (
        GOOD[:IDAT_START] + struct.pack(">I", 2**31) + GOOD[IDAT_START + 4 :],
        r"above the PNG limit of 2\^31-1",
    ),
    "length-max-uint32": (
        GOOD[:IDAT_START] + struct.pack(">I", 2**32 - 1) + GOOD[IDAT_START + 4 :],
        r"above the PNG limit of 2\^31-1",
    ),
    "invalid-chunk-type": (GOOD[:IDAT_START] + png_chunk(b"ab\x001", b"") + GOOD[IDAT_START:], "invalid chunk type"),
    "too-wide": (make_png(MAX_DIMENSION + 1, 1), "4097x1 pixels; the limit is 4096"),
    "too-tall": (make_png(1, MAX_DIMENSION + 1), "1x4097 pixels; the limit is 4096"),
    "huge-dimensions": (
        PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload(2**31 - 1, 2**31 - 1)) + GOOD[IHDR_END:],
        "the limit is 4096",
    ),
    "oversize-file": (
        make_png(after_idat=png_chunk(b"zzZz", b"\0" * MAX_IMAGE_BYTES)),
        f"the limit is {MAX_IMAGE_BYTES} bytes",
    ),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE_PNGS.values(), ids=HOSTILE_PNGS.keys())
@pytest.mark.parametrize("operation", ["unbake", "check", "bake"])
def test_png_hostile_input_is_refused(operation, data, message):
    run = {"unbake": unbake_png, "check": check_png, "bake": lambda image: bake_png(image, JWS)}[operation]
    with pytest.raises(BakingError, match=message):
        run(data)


@pytest.mark.parametrize("index", range(4), ids=["IHDR", "iTXt", "IDAT", "IEND"])
def test_png_crc_mismatch_on_any_chunk_is_refused(index):
    baked = bake_png(make_png(), JWS)
    chunks = walk_chunks(baked)
    forged = PNG_SIGNATURE + b"".join(
        png_chunk(t, d, crc=(zlib.crc32(t + d) ^ 1) if i == index else None) for i, (t, d) in enumerate(chunks)
    )
    with pytest.raises(BakingError, match=f"CRC mismatch in chunk {chunks[index][0].decode()}"):
        unbake_png(forged)


def test_png_bit_flip_anywhere_is_refused():
    baked = bake_png(make_png(), JWS)
    for offset in range(8, len(baked)):
        flipped = baked[:offset] + bytes([baked[offset] ^ 0x10]) + baked[offset + 1 :]
        with pytest.raises(BakingError):
            unbake_png(flipped)


def test_png_truncation_anywhere_is_refused():
    baked = bake_png(make_png(), JWS)
    for length in range(len(baked)):
        with pytest.raises(BakingError):
            unbake_png(baked[:length])


def test_png_without_credential_is_not_baked():
    with pytest.raises(NotBakedError, match=r"^no Open Badges credential is baked into this PNG$"):
        unbake_png(make_png(after_idat=png_chunk(b"tEXt", b"Comment\x00hello")))


@pytest.mark.parametrize("keyword", [b"openbadgecredential", b"openbadges"])
def test_png_two_credential_chunks_are_refused(keyword):
    two = make_png(before_idat=itxt(keyword, JWS.encode()), after_idat=itxt(keyword, JWS.encode()))
    with pytest.raises(BakingError, match=r"2 '.*' chunks; the spec allows only one"):
        unbake_png(two)


def test_png_two_legacy_text_chunks_are_refused():
    chunk = png_chunk(b"tEXt", b"openbadges\x00" + ASSERTION_URL.encode())
    with pytest.raises(BakingError, match="allows only one"):
        unbake_png(make_png(before_idat=chunk, after_idat=chunk))


@pytest.mark.parametrize("keyword", [b"openbadgecredential", b"openbadges"])
def test_png_compressed_itxt_is_refused(keyword):
    compressed = itxt(keyword, zlib.compress(JWS.encode()), flag=1)
    with pytest.raises(BakingError, match="compressed; Open Badges baking forbids compression"):
        unbake_png(make_png(after_idat=compressed))


def test_png_ztxt_credential_is_refused():
    ztxt = png_chunk(b"zTXt", b"openbadges\x00\x00" + zlib.compress(ASSERTION_URL.encode()))
    with pytest.raises(BakingError, match="zTXt"):
        unbake_png(make_png(after_idat=ztxt))


def test_png_ob3_credential_in_text_chunk_is_refused():
    with pytest.raises(BakingError, match="must be an uncompressed iTXt"):
        unbake_png(make_png(after_idat=png_chunk(b"tEXt", b"openbadgecredential\x00" + JWS.encode())))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"openbadgecredential\x00\x02\x00\x00\x00" + JWS.encode(), "invalid compression flag 2"),
        (b"openbadgecredential\x00", "truncated before its compression flag"),
        (b"openbadgecredential\x00\x00\x00en" + JWS.encode(), "unterminated"),
        (b"openbadgecredential\x00\x00\x00\x00" + JWS.encode(), "unterminated"),
        (b"openbadgecredential\x00\x00\x00\x00\x00", "holds no text"),
        (b"openbadgecredential\x00\x00\x00\x00\x00\xff\xfe{}", "not valid UTF-8"),
        (b'openbadgecredential\x00\x00\x00\x00\x00{"a":"\xed\xa0\x80"}', "not valid UTF-8"),
        (b"openbadgecredential\x00\x00\x00\x00\x00" + b"x" * (MAX_TEXT_BYTES + 1), "the limit is 1048576"),
    ],
    ids=["flag-2", "no-flag", "lang-unterminated", "translated-unterminated", "empty", "bad-utf8", "surrogate", "huge"],
)
def test_png_malformed_itxt_is_refused(body, message):
    with pytest.raises(BakingError, match=message):
        unbake_png(make_png(after_idat=png_chunk(b"iTXt", body)))


def test_png_input_types_other_than_bytes_are_refused():
    with pytest.raises(BakingError, match="must be bytes"):
        unbake_png("not bytes")  # type: ignore[arg-type]


def test_png_bytearray_input_is_accepted():
    assert unbake_png(bytearray(bake_png(make_png(), JWS))).text == JWS


def test_png_idat_helper_is_consistent():
    # Guards the test encoder itself: an IDAT-only change must leave IHDR offsets as the hostile table assumes.
    assert GOOD[8:IHDR_END] == ihdr(5, 3)
    assert GOOD[IDAT_START : IDAT_START + 12 + IDAT_LENGTH] == idat(5, 3)
