"""Encrypt signing keys at rest under a key-encryption key (KEK) from the environment.

AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce. The key's public id is the associated
data, so an encrypted key copied onto another key's row does not decrypt. Each ciphertext records
the id of the KEK that sealed it (first 8 hex digits of SHA-256 of the KEK) so KEKs can rotate:
older KEKs stay readable through ``ACCOLADE_KEK_OLD`` until ``manage.py rotate_kek`` re-seals.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .conf import tool_settings


class KeyEncryptionError(RuntimeError):
    """Raise when the KEK is missing or malformed, or a sealed key cannot be opened."""


@dataclass(frozen=True)
class Kek:
    id: str
    key: bytes


def parse_kek(text: str) -> Kek:
    """Parse a base64url (or base64) 32-byte KEK."""
    cleaned = text.strip()
    try:
        raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        raise KeyEncryptionError("ACCOLADE_KEK is not base64") from None
    if len(raw) != 32:
        raise KeyEncryptionError(f"ACCOLADE_KEK must decode to 32 bytes, not {len(raw)}")
    return Kek(id=hashlib.sha256(raw).hexdigest()[:8], key=raw)


def current_kek() -> Kek:
    """Return the KEK new keys are sealed with."""
    if not tool_settings.KEK:
        raise KeyEncryptionError(
            "ACCOLADE_KEK is not set: generate one with `python -c \"import secrets,base64;"
            "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())\"` and set it in the environment")
    return parse_kek(tool_settings.KEK)


def known_keks() -> dict[str, Kek]:
    """Return the current KEK and any older ones, by id."""
    keks = [current_kek()]
    for item in filter(None, (part.strip() for part in str(tool_settings.KEK_OLD).split(","))):
        keks.append(parse_kek(item.split(":", 1)[-1]))
    return {kek.id: kek for kek in keks}


def seal(plaintext: bytes, *, associated: str) -> tuple[str, bytes]:
    """Encrypt ``plaintext``; return (kek id, nonce ‖ ciphertext)."""
    kek = current_kek()
    nonce = os.urandom(12)
    return kek.id, nonce + AESGCM(kek.key).encrypt(nonce, plaintext, associated.encode("utf-8"))


def open_sealed(kek_id: str, sealed: bytes, *, associated: str) -> bytes:
    """Decrypt what :func:`seal` produced."""
    kek = known_keks().get(kek_id)
    if kek is None:
        raise KeyEncryptionError(f"private key was sealed with KEK {kek_id}, which is not configured")
    try:
        return AESGCM(kek.key).decrypt(bytes(sealed[:12]), bytes(sealed[12:]), associated.encode("utf-8"))
    except InvalidTag:
        raise KeyEncryptionError("sealed private key does not open: wrong KEK or tampered data") from None
