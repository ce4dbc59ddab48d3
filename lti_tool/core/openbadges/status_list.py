"""Bitstring Status List (W3C Bitstring Status List v1.0): encode, decode, compose.

Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8``: index 0 is the left-most bit (§4.2). The encoded
list is the multibase base64url (``u`` prefix, no padding) of the GZIP of the bitstring (§2.2).
Lists hold at least 131,072 entries (16 KB) so that a set bit does not single out a learner (§6.3).
"""

from __future__ import annotations

import gzip
import io
from datetime import datetime
from typing import Any

from ..encoding import EncodingError, b64url_encode, multibase_decode
from ..timefmt import format_datetime
from .compose import VC_V2_CONTEXT

MIN_ENTRIES = 131_072
MAX_ENCODED_BYTES = 2_000_000
MAX_DECODED_BYTES = 16_777_216  # 2^27 entries


class StatusListError(ValueError):
    """Raise when an encoded status list cannot be decoded or an index is out of range."""


class Bitstring:
    """A mutable list of status bits."""

    def __init__(self, size: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if data is None:
            if size < MIN_ENTRIES or size % 8:
                raise StatusListError(f"a status list needs at least {MIN_ENTRIES} entries, in whole bytes")
            data = bytes(size // 8)
        self._bits = bytearray(data)

    @property
    def size(self) -> int:
        return len(self._bits) * 8

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        if value:
            self._bits[index // 8] |= 0x80 >> (index % 8)
        else:
            self._bits[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """Return ``encodedList``: ``u`` + base64url(gzip(bits)); deterministic (mtime 0)."""
        return "u" + b64url_encode(gzip.compress(bytes(self._bits), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: Any) -> Bitstring:
        """Decode an ``encodedList`` (multibase base64url or legacy bare base64url), bounded in size."""
        if not isinstance(encoded, str) or len(encoded) > MAX_ENCODED_BYTES:
            raise StatusListError("encodedList must be a string of reasonable size")
        try:
            compressed = multibase_decode(encoded) if encoded[:1] in ("u", "z") else multibase_decode("u" + encoded)
            decompressor = gzip.GzipFile(fileobj=io.BytesIO(compressed))
            data = decompressor.read(MAX_DECODED_BYTES + 1)
        except (EncodingError, OSError, EOFError, ValueError) as error:
            raise StatusListError(f"encodedList is not GZIP base64url: {error}") from None
        if len(data) > MAX_DECODED_BYTES:
            raise StatusListError("status list expands beyond the size limit")
        if not data:
            raise StatusListError("status list is empty")
        return cls(data=data)

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise StatusListError(f"status index {index} is outside the list (size {self.size})")


def status_list_credential(*, list_url: str, issuer_id: str, encoded_list: str, valid_from: datetime,
                           status_purpose: str = "revocation", ttl_ms: int | None = None) -> dict[str, Any]:
    """Return the unsigned BitstringStatusListCredential (§2.2)."""
    subject: dict[str, Any] = {"id": f"{list_url}#list", "type": "BitstringStatusList",
                               "statusPurpose": status_purpose, "encodedList": encoded_list}
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }

