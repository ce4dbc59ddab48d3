"""base64url, base58-btc and multibase (lti_tool.core.encoding)."""

from __future__ import annotations

import base64

import pytest

from lti_tool.core.encoding import EncodingError, b58_decode, b58_encode, b64url_decode, b64url_encode, multibase_decode

# Bitcoin base58 vectors (draft-msporny-base58 §5 and the Bitcoin Core test suite).
B58_VECTORS = [
    (b"", ""),
    (b"\x00", "1"),
    (b"\x00\x00\x00", "111"),
    (b"a", "2g"),
    (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
    (b"The quick brown fox jumps over the lazy dog.", "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
    (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    (bytes.fromhex("00eb15231dfceb60925886b67d065299925915aeb172c06647"), "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
]


@pytest.mark.parametrize(("raw", "text"), B58_VECTORS)
def test_base58_vectors(raw, text):
    assert b58_encode(raw) == text
    assert b58_decode(text) == raw


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "2g ", "é"])
def test_base58_refuses_characters_outside_the_alphabet(text):
    with pytest.raises(EncodingError):
        b58_decode(text)


def test_base58_refuses_huge_input():
    with pytest.raises(EncodingError):
        b58_decode("2" * 513)


@pytest.mark.parametrize("raw", [b"", b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", bytes(range(256))])
def test_base64url_round_trip_without_padding(raw):
    text = b64url_encode(raw)
    assert "=" not in text
    assert text == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert b64url_decode(text) == raw
    assert b64url_decode(text + "=" * (-len(text) % 4)) == raw


def test_base64url_uses_the_url_alphabet():
    assert b64url_encode(b"\xfb\xff") == "-_8"


@pytest.mark.parametrize("text", ["+/8", "ab=c", "a b", "Zm9v!", "é", "A"])
def test_base64url_refuses_bad_text(text):
    with pytest.raises(EncodingError):
        b64url_decode(text)


@pytest.mark.parametrize("value", [None, 42, b"Zm9v"])
def test_base64url_refuses_non_strings(value):
    with pytest.raises(EncodingError):
        b64url_decode(value)


def test_multibase():
    assert multibase_decode("z2NEpo7TZRRrLZSi2U") == b"Hello World!"
    assert multibase_decode("uSGVsbG8gV29ybGQh") == b"Hello World!"


@pytest.mark.parametrize("text", ["", "fAAAA", "mSGVsbG8", "Z2NEpo7T", None, 5])
def test_multibase_refuses_other_prefixes(text):
    with pytest.raises(EncodingError):
        multibase_decode(text)
