"""Open Badges 2.0 documents (lti_tool.core.openbadges.ob2)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from lti_tool.core.data import Alignment, Image, Profile, RegistrarMetadata
from lti_tool.core.keys import rsa_public_pem
from lti_tool.core.openbadges.ob2 import (
    OB2_CONTEXT,
    assertion_json,
    badgeclass_json,
    cryptographic_key_json,
    issuer_json,
    revocation_list_json,
    sign_assertion,
)
from tests.core.fixtures.corekit import CLOCK, RSA_KEY, minimal_achievement, rsa_signer

ISSUER_URL = "https://badges.example.edu/ob2/issuers/1"
BADGE_URL = "https://badges.example.edu/ob2/badges/teamwork"
ASSERTION_URL = "https://badges.example.edu/ob2/assertions/1"
KEY_URL = "https://badges.example.edu/ob2/keys/1"
PROFILE = Profile(id="https://badges.example.edu/issuers/1", name="Example University", url="https://example.edu",
                  email="badges@example.edu", description="A university.",
                  image=Image(id="https://badges.example.edu/images/seal.png"))


def _b64json(part: str):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def assertion(**kwargs):
    defaults = {"assertion_id": ASSERTION_URL, "badgeclass_url": BADGE_URL, "recipient_email": " Ana@Example.EDU",
                "salt": "pepper", "issued_on": CLOCK}
    return assertion_json(**{**defaults, **kwargs})


def test_assertion_required_fields():
    document = assertion()
    assert document["@context"] == OB2_CONTEXT == "https://w3id.org/openbadges/v2"
    assert document["type"] == "Assertion"
    assert document["id"] == ASSERTION_URL
    assert document["badge"] == BADGE_URL
    assert document["verification"] == {"type": "HostedBadge"}
    assert document["issuedOn"] == "2026-01-15T10:00:00Z"
    recipient = document["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    assert recipient["salt"] == "pepper"
    assert recipient["identity"] == "sha256$" + hashlib.sha256(b"ana@example.edu" + b"pepper").hexdigest()
    for absent in ("expires", "image", "evidence", "narrative"):
        assert absent not in document


def test_assertion_optional_fields():
    document = assertion(expires=CLOCK + timedelta(days=1), image_url="https://e.org/baked.png",
                         evidence=[{"id": "https://e.org/evidence/1", "narrative": "Essay"}], narrative="Well done",
                         signed_by=KEY_URL)
    assert document["verification"] == {"type": "SignedBadge", "creator": KEY_URL}
    assert document["expires"] == "2026-01-16T10:00:00Z"
    assert document["image"] == "https://e.org/baked.png"
    assert document["evidence"] == [{"id": "https://e.org/evidence/1", "narrative": "Essay", "type": "Evidence"}]
    assert document["narrative"] == "Well done"


def test_badgeclass_required_fields():
    document = badgeclass_json(minimal_achievement(), badgeclass_url=BADGE_URL, issuer_url=ISSUER_URL,
                               image_url="https://e.org/badge.png")
    assert document == {
        "@context": OB2_CONTEXT, "type": "BadgeClass", "id": BADGE_URL, "name": "Teamwork",
        "description": "Collaborates effectively in a group.", "image": "https://e.org/badge.png",
        "criteria": {"narrative": "Nominated by peers and confirmed by the instructor."}, "issuer": ISSUER_URL,
    }


def test_badgeclass_optional_fields():
    from dataclasses import replace

    achievement = replace(minimal_achievement(), criteria_id="https://e.org/criteria", tags=("a", "b"),
                          alignments=(Alignment("Skill", "https://e.org/skill", target_code="S1",
                                                target_framework="F", target_description="D", target_type="CFItem"),),
                          registrar=RegistrarMetadata(credit_type="credit"))
    document = badgeclass_json(achievement, badgeclass_url=BADGE_URL, issuer_url=ISSUER_URL, image_url="x")
    assert document["criteria"]["id"] == "https://e.org/criteria"
    assert "**Credit type:** Credit-bearing" in document["criteria"]["narrative"]
    assert document["tags"] == ["a", "b"]
    # OB 2.0 AlignmentObject has no targetType.
    assert document["alignment"] == [{"targetName": "Skill", "targetUrl": "https://e.org/skill",
                                      "targetDescription": "D", "targetFramework": "F", "targetCode": "S1"}]


def test_issuer_required_fields_and_keys():
    document = issuer_json(PROFILE, public_key_urls=[KEY_URL], revocation_list_url=f"{ISSUER_URL}/revocations",
                           issuer_url=ISSUER_URL)
    assert document["@context"] == OB2_CONTEXT
    assert document["type"] == "Issuer"
    assert document["id"] == ISSUER_URL
    assert document["name"] == "Example University"
    assert document["url"] == "https://example.edu"
    assert document["email"] == "badges@example.edu"
    assert document["image"] == "https://badges.example.edu/images/seal.png"
    assert document["publicKey"] == KEY_URL
    assert document["revocationList"] == f"{ISSUER_URL}/revocations"


def test_issuer_with_several_keys_and_defaults():
    document = issuer_json(Profile(id=ISSUER_URL, name="U"), public_key_urls=[KEY_URL, KEY_URL + "b"])
    assert document["publicKey"] == [KEY_URL, KEY_URL + "b"]
    assert document["id"] == ISSUER_URL
    assert document["url"] == ISSUER_URL
    assert "revocationList" not in document


def test_cryptographic_key_shape():
    pem = rsa_public_pem(RSA_KEY.public_key())
    assert cryptographic_key_json(key_url=KEY_URL, owner=ISSUER_URL, public_key_pem=pem) == {
        "@context": OB2_CONTEXT, "type": "CryptographicKey", "id": KEY_URL, "owner": ISSUER_URL,
        "publicKeyPem": pem}
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_revocation_list_shape():
    document = revocation_list_json(list_url=f"{ISSUER_URL}/revocations", issuer_url=ISSUER_URL,
                                    revoked=[(ASSERTION_URL, "Issued in error"), ("urn:uuid:2", None)])
    assert document == {
        "@context": OB2_CONTEXT, "type": "RevocationList", "id": f"{ISSUER_URL}/revocations", "issuer": ISSUER_URL,
        "revokedAssertions": [{"id": ASSERTION_URL, "revocationReason": "Issued in error"}, {"id": "urn:uuid:2"}],
    }


def test_signed_assertion_is_a_compact_jws_with_alg_only():
    document = assertion(signed_by=KEY_URL)
    token = sign_assertion(document, rsa_signer(KEY_URL))
    header, payload, signature = token.split(".")
    assert _b64json(header) == {"alg": "RS256"}
    assert _b64json(payload) == document
    RSA_KEY.public_key().verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                                f"{header}.{payload}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("email", ["ana@example.edu", "ANA@EXAMPLE.EDU", "  Ana@Example.edu\t"])
def test_recipient_hash_is_of_the_lowercased_email_and_salt(email):
    document = assertion(recipient_email=email, salt="s@lt")
    assert document["recipient"]["identity"] == "sha256$" + hashlib.sha256(b"ana@example.edus@lt").hexdigest()
