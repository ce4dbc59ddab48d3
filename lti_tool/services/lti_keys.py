"""The tool's own RSA keys: sign Deep Linking responses and service client assertions; JWKS.

Private keys are sealed under the KEK like issuer keys. Rotation makes a new active key; the old one
stays in the JWKS until ``TOOL_KEY_OVERLAP`` has passed (1EdTech Security Framework §6.3: publish the
new key before use, keep the old one while tokens signed with it may still be checked).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from jwcrypto.jwk import JWK

from ..conf import tool_settings
from ..core.keys import rsa_from_pem, rsa_public_jwk
from ..key_encryption import open_sealed, seal
from ..models import LtiToolKey

_unsealed: dict[str, Any] = {}


def lti_tool_key_create() -> LtiToolKey:
    """Generate a key and make it the active one; the previous key is retired but still published."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    # RFC 7638 thumbprint, the kid pylti1p3 derives when it signs with this key.
    kid = JWK.from_pem(public_pem).thumbprint()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    kek_id, sealed = seal(pem, associated=f"lti-tool-key/{kid}")
    now = timezone.now()
    overlap = timedelta(seconds=int(tool_settings.TOOL_KEY_OVERLAP))
    with transaction.atomic():
        LtiToolKey.objects.filter(active=True).update(active=False, retired_at=now, expires_at=now + overlap)
        return LtiToolKey.objects.create(kid=kid, public_key_pem=public_pem.decode("ascii"),
                                         sealed_private_key=sealed, kek_id=kek_id, active=True)


def lti_tool_key_active() -> LtiToolKey:
    """Return the active tool key, creating the first one on demand."""
    key = LtiToolKey.objects.filter(active=True).first()
    return key if key is not None else lti_tool_key_create()


def lti_tool_key_private_pem(key: LtiToolKey) -> str:
    """Return the PEM of a tool key's private half (unsealed, cached in process)."""
    cache_key = f"{key.kid}/{key.kek_id}"
    if cache_key not in _unsealed:
        _unsealed[cache_key] = open_sealed(key.kek_id, bytes(key.sealed_private_key),
                                           associated=f"lti-tool-key/{key.kid}").decode("ascii")
    return _unsealed[cache_key]


def lti_tool_jwks() -> dict[str, Any]:
    """Return the tool JWKS: the active key and retired keys that have not expired yet."""
    now = timezone.now()
    keys = LtiToolKey.objects.filter(Q(active=True) | Q(expires_at__gt=now)).order_by("-created_at")
    return {"keys": [rsa_public_jwk(rsa_from_pem(key.public_key_pem), kid=key.kid) for key in keys]}
