"""Create issuers and manage their signing keys (Ed25519 for Data Integrity, RSA for JWS)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from ..core.keys import Ed25519Signer, RsaSigner, ed25519_public_multibase
from ..key_encryption import current_kek, open_sealed, seal
from ..models import Issuer, SigningKey, StoredImage
from .errors import ServiceError
from .text import has_control_characters, is_http_url

RSA_BITS = 2048
_UNSEALED_CACHE_SIZE = 64
_unsealed: dict[tuple[str, str], object] = {}


def issuer_create(*, name: str, url: str, email: str = "", description: str = "", phone: str = "",
                  official: str = "", image: StoredImage | None = None) -> Issuer:
    """Create an issuer with a fresh Ed25519 key and a fresh RSA key.

    Raises:
        KeyEncryptionError: no key-encryption key is configured (nothing is created).
    """
    if not name.strip():
        raise ServiceError("an issuer needs a name")
    if has_control_characters(name):
        raise ServiceError("the issuer name contains control characters")
    if not is_http_url(url):
        raise ServiceError(f"the issuer's web site {url!r} is not an http(s) URL")
    current_kek()  # fail before writing anything
    with transaction.atomic():
        issuer = Issuer.objects.create(name=name.strip(), url=url, email=email, description=description,
                                       phone=phone, official=official, image=image)
        signing_key_create(issuer=issuer, algorithm=SigningKey.ED25519)
        signing_key_create(issuer=issuer, algorithm=SigningKey.RSA)
    return issuer


def signing_key_create(*, issuer: Issuer, algorithm: str) -> SigningKey:
    """Generate a key, seal its private half under the KEK and make it the active key."""
    if algorithm == SigningKey.ED25519:
        private = Ed25519PrivateKey.generate()
        name = ed25519_public_multibase(private.public_key())
    elif algorithm == SigningKey.RSA:
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        der = private.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        name = "rsa-" + base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")
    else:
        raise ServiceError(f"unknown key algorithm {algorithm!r}")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    kek_id, sealed = seal(pem, associated=f"{issuer.uuid}/{name}")
    with transaction.atomic():
        SigningKey.objects.filter(issuer=issuer, algorithm=algorithm, active=True).update(
            active=False, retired_at=timezone.now())
        return SigningKey.objects.create(issuer=issuer, algorithm=algorithm, key_name=name, public_key_pem=public_pem,
                                         sealed_private_key=sealed, kek_id=kek_id, active=True)


def issuer_rotate_keys(*, issuer: Issuer, algorithms: tuple[str, ...] = (SigningKey.ED25519, SigningKey.RSA)
                       ) -> list[SigningKey]:
    """Replace the active keys; retired public keys stay published so earlier credentials verify."""
    with transaction.atomic():
        Issuer.objects.select_for_update().get(pk=issuer.pk)
        return [signing_key_create(issuer=issuer, algorithm=algorithm) for algorithm in algorithms]


def signing_key_private(key: SigningKey):
    """Return the unsealed private key object of a signing key (kept in a small in-process cache)."""
    cache_key = (str(key.uuid), key.kek_id)
    private = _unsealed.get(cache_key)
    if private is None:
        pem = open_sealed(key.kek_id, bytes(key.sealed_private_key), associated=f"{key.issuer.uuid}/{key.key_name}")
        private = serialization.load_pem_private_key(pem, password=None)
        if len(_unsealed) >= _UNSEALED_CACHE_SIZE:
            _unsealed.pop(next(iter(_unsealed)))
        _unsealed[cache_key] = private
    return private


def issuer_signers(*, issuer: Issuer) -> tuple[Ed25519Signer, RsaSigner]:
    """Return signers for the issuer's active Ed25519 and RSA keys."""
    active = SigningKey.objects.filter(issuer=issuer, active=True).select_related("issuer")
    keys = {key.algorithm: key for key in active}
    if SigningKey.ED25519 not in keys or SigningKey.RSA not in keys:
        raise ServiceError(f"issuer {issuer} has no active signing keys; run rotate_keys")
    ed, rs = keys[SigningKey.ED25519], keys[SigningKey.RSA]
    ed_private, rs_private = signing_key_private(ed), signing_key_private(rs)
    # The unsealed keys must be the ones we publish, or every credential would fail verification.
    if ed25519_public_multibase(ed_private.public_key()) != ed.key_name:
        raise ServiceError(f"stored Ed25519 key {ed.uuid} does not match its published public key")
    published_rsa = serialization.load_pem_public_key(rs.public_key_pem.encode())
    if published_rsa.public_numbers() != rs_private.public_key().public_numbers():
        raise ServiceError(f"stored RSA key {rs.uuid} does not match its published public key")
    return (Ed25519Signer(ed_private, verification_method=ed.public_id), RsaSigner(rs_private, kid=rs.public_id))


def issuer_reseal_keys(*, issuer: Issuer | None = None) -> int:
    """Re-encrypt private keys under the current KEK (after ``ACCOLADE_KEK`` rotation); return how many."""
    kek = current_kek()
    count = 0
    keys = SigningKey.objects.select_related("issuer").exclude(kek_id=kek.id)
    if issuer is not None:
        keys = keys.filter(issuer=issuer)
    with transaction.atomic():
        for key in keys.select_for_update():
            associated = f"{key.issuer.uuid}/{key.key_name}"
            key.kek_id, key.sealed_private_key = seal(
                open_sealed(key.kek_id, bytes(key.sealed_private_key), associated=associated), associated=associated)
            key.save(update_fields=["kek_id", "sealed_private_key"])
            count += 1
    return count
