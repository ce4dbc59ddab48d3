"""Keys and their public forms (lti_tool.core.keys)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lti_tool.core.encoding import b58_encode, b64url_decode
from lti_tool.core.keys import (
    KeyFormatError,
    RsaSigner,
    did_key_for,
    ed25519_from_did_key,
    ed25519_from_multibase,
    ed25519_public_multibase,
    ed25519_secret_multibase,
    rsa_from_jwk,
    rsa_from_pem,
    rsa_public_jwk,
    rsa_public_pem,
    verify_ed25519,
    verify_rs256,
)
from tests.core.fixtures.corekit import ED25519_KEY, RSA_KEY, VECTOR, deterministic_ed25519, ed25519_signer


@pytest.fixture(scope="module")
def small_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def test_vector_public_key_multibase():
    assert ed25519_public_multibase(ED25519_KEY.public_key()) == VECTOR["public_key_multibase"]
    assert VECTOR["public_key_multibase"].startswith("z6Mk")


def test_multibase_is_multicodec_ed01_plus_raw_key():
    raw = bytes.fromhex(VECTOR["public_key_hex"])
    assert ed25519_public_multibase(ED25519_KEY.public_key()) == "z" + b58_encode(b"\xed\x01" + raw)


def test_multibase_round_trip():
    key = ed25519_from_multibase(VECTOR["public_key_multibase"])
    assert key.public_bytes_raw() == bytes.fromhex(VECTOR["public_key_hex"])


def test_secret_multibase_uses_0x8026():
    secret = ed25519_secret_multibase(ED25519_KEY)
    from lti_tool.core.encoding import multibase_decode

    assert multibase_decode(secret) == b"\x80\x26" + bytes.fromhex(VECTOR["private_key_hex"])
    assert secret != ed25519_public_multibase(ED25519_KEY.public_key())


@pytest.mark.parametrize("value", [
    "z" + b58_encode(b"\xed\x01" + bytes(31)),  # short key
    "z" + b58_encode(b"\x80\x24" + bytes(33)),  # P-256 multicodec
    "z" + b58_encode(b"\x80\x26" + bytes(32)),  # a secret key
    "z0OIl",
    "",
    "6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
])
def test_bad_multibase_keys(value):
    with pytest.raises(KeyFormatError):
        ed25519_from_multibase(value)


def test_did_key_round_trip():
    did = did_key_for(ED25519_KEY.public_key())
    assert did == "did:key:" + VECTOR["public_key_multibase"]
    key = ed25519_from_did_key(f"{did}#{VECTOR['public_key_multibase']}")
    assert key.public_bytes_raw() == bytes.fromhex(VECTOR["public_key_hex"])


@pytest.mark.parametrize("value", ["did:web:example.edu#z6Mk", "z6Mk", "did:key:zBad"])
def test_bad_did_key(value):
    with pytest.raises(KeyFormatError):
        ed25519_from_did_key(value)


def test_ed25519_sign_and_verify():
    signer = ed25519_signer()
    signature = signer.sign(b"data")
    assert verify_ed25519(ED25519_KEY.public_key(), signature, b"data")
    assert not verify_ed25519(ED25519_KEY.public_key(), signature, b"other")
    assert not verify_ed25519(deterministic_ed25519("x").public_key(), signature, b"data")
    assert not verify_ed25519(ED25519_KEY.public_key(), signature[:-1], b"data")
    assert signer.public_key_multibase == VECTOR["public_key_multibase"]


def test_rsa_signer_refuses_short_keys(small_rsa_key):
    with pytest.raises(KeyFormatError):
        RsaSigner(small_rsa_key, "https://e.org/k")


def test_rs256_sign_and_verify():
    signature = RsaSigner(RSA_KEY, "k").sign(b"data")
    assert verify_rs256(RSA_KEY.public_key(), signature, b"data")
    assert not verify_rs256(RSA_KEY.public_key(), signature, b"datA")
    assert not verify_rs256(RSA_KEY.public_key(), b"\x00" * 256, b"data")


def test_rsa_jwk_round_trip():
    jwk = rsa_public_jwk(RSA_KEY.public_key(), kid="https://e.org/k", issuer="https://e.org")
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert jwk["kid"] == "https://e.org/k" and jwk["iss"] == "https://e.org"
    assert int.from_bytes(b64url_decode(jwk["e"]), "big") == 65537
    assert b64url_decode(jwk["n"])[0] != 0  # minimal big-endian encoding
    assert rsa_from_jwk(jwk).public_numbers() == RSA_KEY.public_key().public_numbers()
    assert "kid" not in rsa_public_jwk(RSA_KEY.public_key())


@pytest.mark.parametrize("change", [
    {"kty": "EC"},
    {"d": "AAAA"},
    {"p": "AAAA"},
    {"alg": "RS512"},
    {"n": "!!!"},
    {"e": None},
])
def test_bad_jwks(change):
    jwk = {**rsa_public_jwk(RSA_KEY.public_key()), **change}
    with pytest.raises(KeyFormatError):
        rsa_from_jwk(jwk)


def test_jwk_must_be_an_object_with_n():
    with pytest.raises(KeyFormatError):
        rsa_from_jwk(["kty", "RSA"])
    jwk = rsa_public_jwk(RSA_KEY.public_key())
    del jwk["n"]
    with pytest.raises(KeyFormatError):
        rsa_from_jwk(jwk)


def test_short_rsa_jwk_is_refused(small_rsa_key):
    with pytest.raises(KeyFormatError, match="bits"):
        rsa_from_jwk(rsa_public_jwk(small_rsa_key.public_key()))


def test_rsa_pem_round_trip(small_rsa_key):
    pem = rsa_public_pem(RSA_KEY.public_key())
    assert rsa_from_pem(pem).public_numbers() == RSA_KEY.public_key().public_numbers()
    with pytest.raises(KeyFormatError, match="bits"):
        rsa_from_pem(rsa_public_pem(small_rsa_key.public_key()))


def test_bad_pems():
    from cryptography.hazmat.primitives import serialization

    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for pem in [None, 42, "not a pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x" * 20000,
                ec_pem, "é"]:
        with pytest.raises(KeyFormatError):
            rsa_from_pem(pem)
