"""Our VC-JWT and OB 2.0 signed assertions verify with PyJWT, a JOSE library we did not write.

The Node verifiers check Data Integrity proofs only, so the JWS forms are checked here: the key is
taken from what the running service publishes at the JWT's ``kid`` (a JWK) and at the OB 2.0
issuer's ``publicKey`` (a CryptographicKey with a PEM), not from our own objects.
"""

from __future__ import annotations

import jwt
import pytest
from django.utils import timezone

from lti_tool.services.awards import award_issue

pytestmark = pytest.mark.interop


def test_vc_jwt_verifies_with_pyjwt_and_the_published_jwk(client, achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    header = jwt.get_unverified_header(award.credential_jwt)
    assert header == {"alg": "RS256", "kid": header["kid"], "typ": "JWT"}
    published = client.get(header["kid"].removeprefix("http://testserver")).json()
    key = jwt.PyJWK(published).key
    claims = jwt.decode(award.credential_jwt, key, algorithms=["RS256"], options={"require": ["iss", "nbf", "sub"]},
                        leeway=5)
    assert claims["iss"] == achievement.issuer.public_id
    assert claims["jti"] == award.credential["id"]
    assert claims["sub"] == learner.subject_id
    assert claims["nbf"] == int(award.valid_from.timestamp())
    assert claims["credentialSubject"]["achievement"]["name"] == achievement.name
    tampered = award.credential_jwt[:-4] + ("AAAA" if not award.credential_jwt.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, key, algorithms=["RS256"])


def test_ob2_signed_assertion_verifies_with_pyjwt_and_the_published_pem(client, achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    payload = jwt.decode(award.ob2_assertion_jws, options={"verify_signature": False})
    assert jwt.get_unverified_header(award.ob2_assertion_jws) == {"alg": "RS256"}
    key_url = payload["verification"]["creator"].removeprefix("http://testserver")
    key_document = client.get(key_url).json()
    issuer = client.get(key_document["owner"].removeprefix("http://testserver")).json()
    assert payload["verification"]["creator"] in (issuer["publicKey"] if isinstance(issuer["publicKey"], list)
                                                  else [issuer["publicKey"]])
    verified = jwt.decode(award.ob2_assertion_jws, key_document["publicKeyPem"], algorithms=["RS256"])
    assert verified["id"] == f"urn:uuid:{award.uuid}"
    assert verified["issuedOn"] <= timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
