"""Standard Webhooks signatures (standardwebhooks.com, "Signature scheme").

``webhook-signature`` holds space-separated ``v1,<base64 HMAC-SHA256>`` values over
``{webhook-id}.{webhook-timestamp}.{body}``, one per active secret, so a receiver can rotate its
secret without missing a delivery. Secrets are ``whsec_`` followed by base64 of 24 to 64 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"


class SecretError(ValueError):
    """Raise when a webhook secret is not ``whsec_`` + base64 of 24 to 64 bytes."""


def new_secret() -> str:
    """Return a fresh secret: ``whsec_`` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """Return the key bytes of a ``whsec_`` secret."""
    if not secret.startswith(PREFIX):
        raise SecretError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except ValueError:
        raise SecretError("a webhook secret is whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise SecretError("a webhook secret holds 24 to 64 bytes")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return one ``v1,`` signature of the exact bytes sent."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the three Standard Webhooks headers, signed with every secret in use."""
    signatures = " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use)
    if not signatures:
        raise SecretError("an endpoint needs at least one secret to sign with")
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
