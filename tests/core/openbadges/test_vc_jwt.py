"""VC-JWT for OB 3.0 (lti_tool.core.openbadges.vc_jwt), OB 3.0 §8.2."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from lti_tool.core.jose import ParsedJws, parse_compact
from lti_tool.core.keys import rsa_public_jwk
from lti_tool.core.openbadges.compose import compose_credential
from lti_tool.core.openbadges.vc_jwt import (
    VcJwtError,
    claim_problems,
    credential_of,
    header_problems,
    jwt_claims,
    sign_vc_jwt,
)
from tests.core.fixtures.corekit import CLOCK, ISSUER_ID, RSA_KEY, RSA_KID, minimal_claims, rsa_signer

VALID_UNTIL = CLOCK + timedelta(days=365)


def _b64json(part: str):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def credential(**changes):
    return compose_credential(minimal_claims(**changes))


def test_header_is_exactly_alg_kid_typ():
    header = _b64json(sign_vc_jwt(credential(), rsa_signer()).split(".")[0])
    assert header == {"alg": "RS256", "kid": RSA_KID, "typ": "JWT"}


def test_payload_is_the_credential_plus_registered_claims():
    unsigned = credential(valid_until=VALID_UNTIL)
    signed = {**unsigned, "proof": [{"type": "DataIntegrityProof"}]}
    payload = _b64json(sign_vc_jwt(signed, rsa_signer()).split(".")[1])
    assert "proof" not in payload
    assert "vc" not in payload
    assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub", "exp")} == unsigned
    assert payload["iss"] == ISSUER_ID
    assert payload["jti"] == unsigned["id"]
    assert payload["sub"] == "did:example:learner-ana"
    assert payload["nbf"] == int(CLOCK.timestamp()) == 1768471200
    assert payload["exp"] == int(VALID_UNTIL.timestamp())


def test_no_exp_without_valid_until():
    payload = _b64json(sign_vc_jwt(credential(), rsa_signer()).split(".")[1])
    assert "exp" not in payload


def test_issuer_as_a_string():
    unsigned = credential()
    unsigned["issuer"] = ISSUER_ID
    assert jwt_claims(unsigned)["iss"] == ISSUER_ID


def test_signature_is_rs256_over_header_and_payload():
    token = sign_vc_jwt(credential(), rsa_signer())
    header, payload, signature = token.split(".")
    RSA_KEY.public_key().verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                                f"{header}.{payload}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())


def test_signing_is_deterministic():
    assert sign_vc_jwt(credential(), rsa_signer()) == sign_vc_jwt(credential(), rsa_signer())


@pytest.mark.parametrize("subject", [None, ""])
def test_refuses_credential_without_subject_id(subject):
    unsigned = credential()
    if subject is None:
        del unsigned["credentialSubject"]["id"]
    else:
        unsigned["credentialSubject"]["id"] = subject
    with pytest.raises(VcJwtError, match=r"credentialSubject\.id"):
        sign_vc_jwt(unsigned, rsa_signer())


def parsed(header=None, payload=None) -> ParsedJws:
    return ParsedJws(header=header if header is not None else {"alg": "RS256", "kid": RSA_KID, "typ": "JWT"},
                     payload=payload if payload is not None else {}, signing_input=b"", signature=b"")


def test_header_problems_none_for_our_header():
    assert header_problems(parse_compact(sign_vc_jwt(credential(), rsa_signer()))) == []
    assert header_problems(parsed({"alg": "RS256", "kid": RSA_KID})) == []  # typ is optional
    assert header_problems(parsed({"alg": "RS256", "jwk": rsa_public_jwk(RSA_KEY.public_key())})) == []


@pytest.mark.parametrize(("header", "fragment"), [
    ({"alg": "RS256", "kid": RSA_KID, "typ": "JWT", "x5u": "https://e.org/c"}, "x5u"),
    ({"alg": "RS256", "kid": RSA_KID, "cty": "vc"}, "cty"),
    ({"alg": "RS256", "kid": RSA_KID, "jwk": {"kty": "RSA"}}, "exactly one of 'kid' and 'jwk'"),
    ({"alg": "RS256", "typ": "JWT"}, "exactly one of 'kid' and 'jwk'"),
    ({"alg": "RS256", "kid": RSA_KID, "typ": "vc+jwt"}, "'vc+jwt' is not 'JWT'"),
    ({"alg": "RS256", "kid": RSA_KID, "typ": "jwt"}, "is not 'JWT'"),
])
def test_header_problems(header, fragment):
    problems = header_problems(parsed(header))
    assert problems
    assert any(fragment in problem for problem in problems), problems


def _payload(**changes):
    unsigned = credential(valid_until=VALID_UNTIL)
    payload = {**unsigned, **jwt_claims(unsigned)}
    for claim, value in changes.items():
        if value is None:
            payload.pop(claim, None)
        else:
            payload[claim] = value
    return unsigned, payload


def test_claim_problems_none_when_consistent():
    unsigned, payload = _payload()
    assert claim_problems(parsed(payload=payload), unsigned) == []


@pytest.mark.parametrize(("claim", "value"), [
    ("iss", "https://evil.example/issuer"),
    ("jti", "urn:uuid:other"),
    ("nbf", int(CLOCK.timestamp()) - 1),
    ("nbf", str(int(CLOCK.timestamp()))),
    ("sub", "did:example:someone-else"),
    ("exp", int(VALID_UNTIL.timestamp()) + 86400),
    ("iss", None),
    ("nbf", None),
    ("exp", None),
])
def test_claim_problems_for_each_mismatch(claim, value):
    unsigned, payload = _payload(**{claim: value})
    problems = claim_problems(parsed(payload=payload), unsigned)
    assert len(problems) == 1
    assert repr(claim) in problems[0]


def test_exp_without_valid_until_is_a_problem():
    unsigned = credential()
    payload = {**unsigned, **jwt_claims(unsigned), "exp": int(VALID_UNTIL.timestamp())}
    assert claim_problems(parsed(payload=payload), unsigned) == ["JWT has 'exp' but the credential has no validUntil"]


def test_claim_problems_when_credential_lacks_subject_id():
    unsigned, payload = _payload()
    del unsigned["credentialSubject"]["id"]
    assert claim_problems(parsed(payload=payload), unsigned)


def test_credential_of_strips_registered_claims():
    unsigned, payload = _payload()
    payload["iat"] = 1
    payload["aud"] = "x"
    assert credential_of(parsed(payload=payload)) == unsigned


def test_credential_of_legacy_vc_claim():
    legacy = {"iss": ISSUER_ID, "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["X"]}}
    assert credential_of(parsed(payload=legacy)) == legacy["vc"]


@pytest.mark.parametrize("payload", [[1, 2], "text", 42])
def test_credential_of_refuses_non_objects(payload):
    with pytest.raises(VcJwtError):
        credential_of(parsed(payload=payload))
