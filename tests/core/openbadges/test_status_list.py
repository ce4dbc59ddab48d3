"""Bitstring Status List (lti_tool.core.openbadges.status_list), W3C Bitstring Status List v1.0."""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest

from lti_tool.core.openbadges.status_list import (
    MAX_DECODED_BYTES,
    MIN_ENTRIES,
    Bitstring,
    StatusListError,
    status_list_credential,
)
from tests.core.fixtures.corekit import CLOCK, ISSUER_ID


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_minimum_size_is_131072_entries():
    assert MIN_ENTRIES == 131_072
    bits = Bitstring()
    assert bits.size == MIN_ENTRIES
    assert bits.to_bytes() == bytes(MIN_ENTRIES // 8)


@pytest.mark.parametrize("size", [8, 1024, MIN_ENTRIES - 8, MIN_ENTRIES + 4])
def test_small_or_partial_byte_sizes_are_refused(size):
    with pytest.raises(StatusListError):
        Bitstring(size)


def test_larger_size_is_accepted():
    assert Bitstring(MIN_ENTRIES * 2).size == MIN_ENTRIES * 2


@pytest.mark.parametrize(("index", "byte", "value"), [
    (0, 0, 0x80), (1, 0, 0x40), (7, 0, 0x01), (8, 1, 0x80), (9, 1, 0x40), (15, 1, 0x01),
    (MIN_ENTRIES - 1, MIN_ENTRIES // 8 - 1, 0x01),
])
def test_index_0_is_the_most_significant_bit_of_byte_0(index, byte, value):
    bits = Bitstring()
    bits.set(index)
    raw = bits.to_bytes()
    assert raw[byte] == value
    assert sum(1 for b in raw if b) == 1


def test_set_get_unset():
    bits = Bitstring()
    assert not bits.get(42)
    bits.set(42)
    assert bits.get(42)
    assert not bits.get(41) and not bits.get(43)
    bits.set(43)
    bits.set(42, False)
    assert not bits.get(42)
    assert bits.get(43)
    assert bits.to_bytes()[5] == 0b0001_0000


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES, 10**12])
def test_index_out_of_range(index):
    bits = Bitstring()
    with pytest.raises(StatusListError, match="outside"):
        bits.get(index)
    with pytest.raises(StatusListError):
        bits.set(index)


def test_encode_is_multibase_base64url_of_gzip():
    bits = Bitstring()
    bits.set(3)
    encoded = bits.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(compressed) == bits.to_bytes()
    assert compressed[:2] == b"\x1f\x8b"
    assert compressed[4:8] == bytes(4)  # MTIME 0: the same bits encode the same at any time


def test_encode_is_deterministic():
    first, second = Bitstring(), Bitstring()
    for bits in (first, second):
        bits.set(5)
        bits.set(70_000)
    assert first.encode() == second.encode()
    second.set(6)
    assert first.encode() != second.encode()


def test_round_trip():
    bits = Bitstring()
    for index in (0, 1, 999, 65_536, MIN_ENTRIES - 1):
        bits.set(index)
    decoded = Bitstring.decode(bits.encode())
    assert decoded.to_bytes() == bits.to_bytes()
    assert decoded.get(999) and not decoded.get(998)


def test_decode_accepts_legacy_bare_base64url():
    raw = bytes(MIN_ENTRIES // 8)
    legacy = _b64url(gzip.compress(raw))
    assert not legacy.startswith("u")
    assert Bitstring.decode(legacy).to_bytes() == raw


@pytest.mark.parametrize("encoded", [
    "u***not base64***",
    "u" + _b64url(b"not gzip at all"),
    "u" + _b64url(zlib.compress(bytes(16384))),  # zlib, not gzip
    "u" + _b64url(gzip.compress(bytes(16384))[:20]),  # truncated gzip
    "zNotBase58!!",
    "u",
    "",
])
def test_decode_refuses_garbage(encoded):
    with pytest.raises(StatusListError):
        Bitstring.decode(encoded)


def test_decode_refuses_empty_list():
    with pytest.raises(StatusListError, match="empty"):
        Bitstring.decode("u" + _b64url(gzip.compress(b"")))


@pytest.mark.parametrize("value", [None, 42, b"u1234", ["u"]])
def test_decode_refuses_non_strings(value):
    with pytest.raises(StatusListError):
        Bitstring.decode(value)


def test_decode_refuses_oversized_input():
    with pytest.raises(StatusListError):
        Bitstring.decode("u" + "A" * 2_000_001)


def _gzip_of_zeros(total: int) -> bytes:
    """Build a gzip member of ``total`` zero bytes without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    chunk = bytes(1 << 20)
    out = []
    remaining = total
    while remaining:
        piece = chunk[:min(remaining, len(chunk))]
        out.append(compressor.compress(piece))
        remaining -= len(piece)
    out.append(compressor.flush())
    return b"".join(out)


def test_decode_refuses_a_gzip_bomb():
    bomb = _gzip_of_zeros(MAX_DECODED_BYTES + (1 << 20))
    encoded = "u" + _b64url(bomb)
    assert len(encoded) < 2_000_000  # small on the wire, it passes the input-size limit
    with pytest.raises(StatusListError, match="beyond the size limit"):
        Bitstring.decode(encoded)


def test_decode_accepts_the_largest_allowed_list():
    encoded = "u" + _b64url(_gzip_of_zeros(MAX_DECODED_BYTES))
    assert Bitstring.decode(encoded).size == MAX_DECODED_BYTES * 8


def test_status_list_credential_shape():
    credential = status_list_credential(list_url="https://e.edu/status/1", issuer_id=ISSUER_ID,
                                        encoded_list="uH4sI", valid_from=CLOCK, status_purpose="suspension",
                                        ttl_ms=300_000)
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://e.edu/status/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER_ID,
        "validFrom": "2026-01-15T10:00:00Z",
        "credentialSubject": {"id": "https://e.edu/status/1#list", "type": "BitstringStatusList",
                              "statusPurpose": "suspension", "encodedList": "uH4sI", "ttl": 300_000},
    }


def test_status_list_credential_is_safe_mode_clean(canonicalizer):
    credential = status_list_credential(list_url="https://e.edu/status/1", issuer_id=ISSUER_ID,
                                        encoded_list=Bitstring().encode(), valid_from=CLOCK, ttl_ms=1000)
    assert canonicalizer.canonicalize(credential)
