"""Compact JWS with RS256 only (RFC 7515 §7.1, RFC 7518 §3.3).

Used for OB 3.0 VC-JWT and OB 2.0 signed assertions. The header allow-list is the caller's: the
OB 3.0 JWT profile permits only ``alg``, ``kid``/``jwk`` and ``typ`` (OB 3.0 §8.2.3).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .encoding import EncodingError, b64url_decode, b64url_encode
from .keys import verify_rs256

MAX_COMPACT_JWS_BYTES = 1_000_000


class JwsFormatError(ValueError):
    """Raise when text is not a well-formed compact JWS we accept."""


@dataclass(frozen=True)
class ParsedJws:
    """A compact JWS split into its parts; the signature is not yet checked."""

    header: dict[str, Any]
    payload: Any
    signing_input: bytes
    signature: bytes


def sign_compact(header: Mapping[str, Any], payload: Any, sign: Callable[[bytes], bytes]) -> str:
    """Return ``header.payload.signature`` with JSON encoded compactly in UTF-8."""
    encoded_header = b64url_encode(_json_bytes(header))
    encoded_payload = b64url_encode(_json_bytes(payload))
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    return f"{encoded_header}.{encoded_payload}.{b64url_encode(sign(signing_input))}"


def parse_compact(text: Any) -> ParsedJws:
    """Split and decode a compact JWS; raise :class:`JwsFormatError` on any malformation."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise JwsFormatError("JWS is not ASCII") from None
    if not isinstance(text, str):
        raise JwsFormatError("JWS must be text")
    text = text.strip()
    if len(text) > MAX_COMPACT_JWS_BYTES:
        raise JwsFormatError(f"JWS is larger than {MAX_COMPACT_JWS_BYTES} bytes")
    parts = text.split(".")
    if len(parts) != 3:
        raise JwsFormatError(f"compact JWS has {len(parts)} parts, not 3")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (EncodingError, ValueError, RecursionError) as error:
        raise JwsFormatError(f"JWS part is not base64url JSON: {error}") from None
    if not isinstance(header, dict):
        raise JwsFormatError("JWS header is not a JSON object")
    if header.get("alg") != "RS256":
        raise JwsFormatError(f"JWS alg {header.get('alg')!r} is not accepted (RS256 only)")
    if "crit" in header:
        raise JwsFormatError("JWS header has 'crit' extensions we do not understand")
    return ParsedJws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify_signature(parsed: ParsedJws, public_key: RSAPublicKey) -> bool:
    """Return True when the JWS signature is valid for ``public_key``."""
    return verify_rs256(public_key, parsed.signature, parsed.signing_input)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
