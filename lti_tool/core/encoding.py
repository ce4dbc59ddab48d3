"""Byte encodings used by credentials: base64url (RFC 4648 §5), base58-btc and multibase.

Multibase prefixes follow draft-multiformats-multibase: ``z`` base58-btc, ``u`` base64url (no pad).
"""

from __future__ import annotations

import base64
import re

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58_ALPHABET)}


class EncodingError(ValueError):
    """Raise when text is not valid in the encoding it claims."""


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded (or padded) base64url, rejecting characters outside the alphabet."""
    if not isinstance(text, str):
        raise EncodingError("not base64url")
    stripped = text.rstrip("=")
    if not _B64URL.fullmatch(stripped):
        raise EncodingError("not base64url")
    if len(stripped) % 4 == 1:
        raise EncodingError("truncated base64url")
    return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))


_B64URL = re.compile(r"[A-Za-z0-9_-]*")  # fullmatch: ASCII only (no \w, which takes any letter)


def b58_encode(data: bytes) -> str:
    """Encode bytes in base58-btc (Bitcoin alphabet), keeping leading zero bytes as ``1``."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58_ALPHABET[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58_decode(text: str) -> bytes:
    """Decode base58-btc text."""
    if not isinstance(text, str) or len(text) > 512:
        raise EncodingError("not base58-btc")
    number = 0
    for ch in text:
        try:
            number = number * 58 + _B58_INDEX[ch]
        except KeyError:
            raise EncodingError(f"character {ch!r} is not base58-btc") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_decode(text: str) -> bytes:
    """Decode multibase text in base58-btc (``z``) or base64url (``u``)."""
    if not isinstance(text, str) or not text:
        raise EncodingError("empty multibase value")
    if text[0] == "z":
        return b58_decode(text[1:])
    if text[0] == "u":
        return b64url_decode(text[1:])
    raise EncodingError(f"unsupported multibase prefix {text[0]!r}")
