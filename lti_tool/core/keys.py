"""Signing keys and their public forms: Ed25519 Multikey, RSA JWK, did:key.

A signer carries its private key and the identifier verifiers will dereference (the verification
method id for Data Integrity, the ``kid`` for JOSE). Keys are made and stored by the caller; the
core only uses them.

Specs: Controlled Identifiers 1.0 §2.2.2 (Multikey), VC DI EdDSA §2.1.1 (Ed25519 Multikey
encoding: multicodec 0xed01 + 32 bytes, base58-btc), RFC 7517/7518 (JWK), did:key method §3.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey, RSAPublicNumbers

from .encoding import EncodingError, b58_encode, b64url_decode, b64url_encode, multibase_decode

ED25519_MULTICODEC = b"\xed\x01"
ED25519_PRIVATE_MULTICODEC = b"\x80\x26"
MIN_RSA_BITS = 2048


class KeyFormatError(ValueError):
    """Raise when a public or private key representation cannot be used."""


@dataclass(frozen=True)
class Ed25519Signer:
    """Sign with an Ed25519 key for ``verification_method`` (e.g. ``{issuer}#z6Mk…``)."""

    private_key: Ed25519PrivateKey
    verification_method: str

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @property
    def public_key_multibase(self) -> str:
        return ed25519_public_multibase(self.private_key.public_key())


@dataclass(frozen=True)
class RsaSigner:
    """Sign RS256 (RSASSA-PKCS1-v1_5 with SHA-256) with an RSA key published under ``kid``."""

    private_key: RSAPrivateKey
    kid: str

    def __post_init__(self) -> None:
        if self.private_key.key_size < MIN_RSA_BITS:
            raise KeyFormatError(f"RSA keys must have at least {MIN_RSA_BITS} bits")

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def ed25519_public_multibase(public_key: Ed25519PublicKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` (``z6Mk…``) of an Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58_encode(ED25519_MULTICODEC + raw)


def ed25519_secret_multibase(private_key: Ed25519PrivateKey) -> str:
    """Return the Multikey ``secretKeyMultibase`` of an Ed25519 private key (never publish it)."""
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return "z" + b58_encode(ED25519_PRIVATE_MULTICODEC + raw)


def ed25519_from_multibase(value: str) -> Ed25519PublicKey:
    """Parse a ``publicKeyMultibase`` holding an Ed25519 key."""
    try:
        raw = multibase_decode(value)
    except EncodingError as error:
        raise KeyFormatError(f"publicKeyMultibase: {error}") from None
    if len(raw) != 34 or raw[:2] != ED25519_MULTICODEC:
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 Multikey (0xed01 + 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_ed25519(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Return True when ``signature`` is a valid Ed25519 signature of ``data``."""
    try:
        public_key.verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def rsa_public_jwk(public_key: RSAPublicKey, *, kid: str | None = None, issuer: str | None = None) -> dict[str, Any]:
    """Return the public JWK of an RSA key (``alg`` RS256, ``use`` sig, optional ``kid``/``iss``)."""
    numbers = public_key.public_numbers()
    jwk: dict[str, Any] = {
        "kty": "RSA",
        "n": b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        "alg": "RS256",
        "use": "sig",
    }
    if kid:
        jwk["kid"] = kid
    if issuer:
        jwk["iss"] = issuer
    return jwk


def rsa_from_jwk(jwk: Any) -> RSAPublicKey:
    """Parse a public RSA JWK; refuse private members, other key types and short keys."""
    if not isinstance(jwk, dict):
        raise KeyFormatError("JWK must be a JSON object")
    if jwk.get("kty") != "RSA":
        raise KeyFormatError(f"JWK kty {jwk.get('kty')!r} is not RSA")
    if any(member in jwk for member in ("d", "p", "q", "dp", "dq", "qi")):
        raise KeyFormatError("JWK holds private key members; refusing it")
    if jwk.get("alg") not in (None, "RS256"):
        raise KeyFormatError(f"JWK alg {jwk.get('alg')!r} is not RS256")
    try:
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
        key = RSAPublicNumbers(e, n).public_key()
    except (KeyError, TypeError, ValueError, EncodingError) as error:
        raise KeyFormatError(f"JWK is not a valid RSA public key: {error}") from None
    if key.key_size < MIN_RSA_BITS:
        raise KeyFormatError(f"RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
    return key


def rsa_public_pem(public_key: RSAPublicKey) -> str:
    """Return the SubjectPublicKeyInfo PEM of an RSA public key (OB 2.0 ``publicKeyPem``)."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def rsa_from_pem(pem: Any) -> RSAPublicKey:
    """Parse an RSA public key PEM."""
    if not isinstance(pem, str) or len(pem) > 16384:
        raise KeyFormatError("publicKeyPem must be a PEM string")
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise KeyFormatError(f"publicKeyPem is not a valid public key: {error}") from None
    if not isinstance(key, RSAPublicKey):
        raise KeyFormatError("publicKeyPem is not an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise KeyFormatError(f"RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
    return key


def verify_rs256(public_key: RSAPublicKey, signature: bytes, data: bytes) -> bool:
    """Return True when ``signature`` is a valid RS256 signature of ``data``."""
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def did_key_for(public_key: Ed25519PublicKey) -> str:
    """Return the did:key DID of an Ed25519 public key."""
    return "did:key:" + ed25519_public_multibase(public_key)


def ed25519_from_did_key(did_url: str) -> Ed25519PublicKey:
    """Parse the Ed25519 key out of a did:key DID or DID URL (``did:key:z6Mk…#z6Mk…``)."""
    did = did_url.split("#", 1)[0]
    if not did.startswith("did:key:"):
        raise KeyFormatError("not a did:key identifier")
    return ed25519_from_multibase(did[len("did:key:"):])
