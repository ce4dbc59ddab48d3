"""Verifying Open Badges 2.0 assertions (signed and hosted) through lti_tool.core.api.verify."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.core.keys import RsaSigner, rsa_public_pem
from lti_tool.core.openbadges.ob2 import (
    assertion_json,
    badgeclass_json,
    cryptographic_key_json,
    issuer_json,
    revocation_list_json,
    sign_assertion,
)
from tests.core.fixtures.corekit import CLOCK, RSA_KEY, issuer_profile, minimal_achievement, rsa_signer
from tests.core.openbadges.verify.verify_helpers import assert_fails, assert_verified, run

ORIGIN = "https://badges.example.edu"
ISSUER2 = f"{ORIGIN}/ob2/issuer"
BADGE2 = f"{ORIGIN}/ob2/badges/teamwork"
KEY2 = f"{ORIGIN}/ob2/keys/1"
REVOCATIONS = f"{ORIGIN}/ob2/revocations"
HOSTED_ID = f"{ORIGIN}/ob2/assertions/1"
SIGNED_ID = "urn:uuid:7d1c2b3a-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def other_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ob2(world):
    world.documents[ISSUER2] = issuer_json(issuer_profile(), public_key_urls=[KEY2], revocation_list_url=REVOCATIONS,
                                           issuer_url=ISSUER2)
    world.documents[BADGE2] = badgeclass_json(minimal_achievement(), badgeclass_url=BADGE2, issuer_url=ISSUER2,
                                              image_url=f"{ORIGIN}/images/teamwork.png")
    world.documents[KEY2] = cryptographic_key_json(key_url=KEY2, owner=ISSUER2,
                                                   public_key_pem=rsa_public_pem(RSA_KEY.public_key()))
    world.documents[REVOCATIONS] = revocation_list_json(list_url=REVOCATIONS, issuer_url=ISSUER2, revoked=[])
    return world


def signed(creator=KEY2, signer=None, **kwargs):
    """Return a signed assertion; ``creator=None`` leaves verification.creator out (it is optional)."""
    assertion = assertion_json(**{"assertion_id": SIGNED_ID, "badgeclass_url": BADGE2,
                                  "recipient_email": "ana@example.edu", "salt": "s", "issued_on": CLOCK,
                                  "signed_by": creator or KEY2, **kwargs})
    if creator is None:
        assertion["verification"] = {"type": "SignedBadge"}
    return sign_assertion(assertion, signer or rsa_signer(KEY2))


def hosted(world, assertion_id=HOSTED_ID, **kwargs):
    assertion = assertion_json(**{"assertion_id": assertion_id, "badgeclass_url": BADGE2,
                                  "recipient_email": "ana@example.edu", "salt": "s", "issued_on": CLOCK, **kwargs})
    world.documents[assertion_id] = assertion
    return assertion


# --- signed -------------------------------------------------------------------------------------------

def test_signed_valid(ob2):
    result = run(ob2, signed())
    assert_verified(result)
    assert result.format == "ob2-signed"
    assert result.issuer_id == ISSUER2
    assert [c.name for c in result.checks] == ["structure", "issuer_key", "signature", "status", "validity"]


def test_signed_without_creator_tries_the_issuer_keys(ob2):
    assert_verified(run(ob2, signed(creator=None)))


def test_signed_revoked_via_revocation_list(ob2):
    ob2.documents[REVOCATIONS] = revocation_list_json(list_url=REVOCATIONS, issuer_url=ISSUER2,
                                                      revoked=[(SIGNED_ID, "Issued in error")])
    result = run(ob2, signed())
    assert_fails(result, "status", "Issued in error")
    assert result.revoked is True


def test_signed_revoked_by_bare_id(ob2):
    ob2.documents[REVOCATIONS]["revokedAssertions"] = [SIGNED_ID]
    assert run(ob2, signed()).revoked is True


def test_signed_revocation_list_unreachable(ob2):
    del ob2.documents[REVOCATIONS]
    assert_fails(run(ob2, signed()), "status", "could not retrieve revocation list")


def test_signed_tampered_payload(ob2):
    header, payload, signature = signed().split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["recipient"]["identity"] = "sha256$" + "0" * 64
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert_fails(run(ob2, f"{header}.{forged}.{signature}"), "signature", "altered or forged")


def test_signed_by_another_key(ob2, other_rsa_key):
    assert_fails(run(ob2, signed(signer=RsaSigner(other_rsa_key, KEY2))), "signature")


def test_key_owner_is_not_the_issuer(ob2):
    ob2.documents[KEY2]["owner"] = "https://evil.example/issuer"
    assert_fails(run(ob2, signed()), "issuer_key", "owned by")


def test_creator_not_in_issuer_public_keys(ob2, other_rsa_key):
    rogue = f"{ORIGIN}/ob2/keys/rogue"
    ob2.documents[rogue] = cryptographic_key_json(key_url=rogue, owner=ISSUER2,
                                                  public_key_pem=rsa_public_pem(other_rsa_key.public_key()))
    token = signed(creator=rogue, signer=RsaSigner(other_rsa_key, rogue))
    assert_fails(run(ob2, token), "issuer_key", "not one of the issuer's public keys")


def test_issuer_without_public_key(ob2):
    del ob2.documents[ISSUER2]["publicKey"]
    assert_fails(run(ob2, signed(creator=None)), "key", "no publicKey")


def test_signed_expired(ob2):
    result = run(ob2, signed(expires=CLOCK + timedelta(hours=1)), now=CLOCK + timedelta(days=2))
    assert_fails(result, "validity", "expired")
    assert result.expired is True


def test_signed_issued_in_the_future(ob2):
    assert_fails(run(ob2, signed(), now=CLOCK - timedelta(days=1)), "validity", "future")


def test_signed_badge_unreachable(ob2):
    del ob2.documents[BADGE2]
    assert_fails(run(ob2, signed()), "key", "could not retrieve badge or issuer")


# --- hosted -------------------------------------------------------------------------------------------

def test_hosted_valid_by_url_and_by_json(ob2):
    assertion = hosted(ob2)
    for data in (HOSTED_ID, assertion, json.dumps(assertion)):
        result = run(ob2, data)
        assert_verified(result)
        assert result.format == "ob2-hosted"
        assert result.issuer_id == ISSUER2


def test_hosted_gone_is_revoked(ob2):
    assertion = hosted(ob2)
    ob2.gone.add(HOSTED_ID)
    for data in (HOSTED_ID, assertion):
        result = run(ob2, data)
        assert_fails(result, "status", "410")
        assert result.revoked is True


def test_hosted_revoked_flag(ob2):
    assertion = hosted(ob2)
    ob2.documents[HOSTED_ID] = {**assertion, "revoked": True, "revocationReason": "Withdrawn"}
    result = run(ob2, HOSTED_ID)
    assert_fails(result, "status", "Withdrawn")
    assert result.revoked is True


def test_hosted_assertion_differs_from_the_hosted_copy(ob2):
    assertion = hosted(ob2)
    assert_fails(run(ob2, {**assertion, "narrative": "I did great things"}), "signature", "differs")


def test_hosted_copy_with_another_id(ob2):
    assertion = hosted(ob2)
    ob2.documents[HOSTED_ID] = {**assertion, "id": f"{ORIGIN}/ob2/assertions/2"}
    assert_fails(run(ob2, HOSTED_ID), "signature", "is not its URL")


def test_hosted_on_another_origin(ob2):
    hosted(ob2, assertion_id="https://cdn.example.net/assertions/1")
    assert_fails(run(ob2, "https://cdn.example.net/assertions/1"), "issuer_key", "origin")


def test_hosted_on_an_allowed_origin(ob2):
    hosted(ob2, assertion_id="https://cdn.example.net/assertions/1")
    ob2.documents[ISSUER2]["verification"] = {"type": "HostedBadge", "allowedOrigins": ["cdn.example.net"]}
    assert_verified(run(ob2, "https://cdn.example.net/assertions/1"))


def test_hosted_under_an_allowed_prefix(ob2):
    hosted(ob2, assertion_id="https://cdn.example.net/badges/example/1")
    ob2.documents[ISSUER2]["verification"] = {"startsWith": "https://cdn.example.net/badges/example/"}
    assert_verified(run(ob2, "https://cdn.example.net/badges/example/1"))
    hosted(ob2, assertion_id="https://cdn.example.net/badges/other/1")
    assert_fails(run(ob2, "https://cdn.example.net/badges/other/1"), "issuer_key")


def test_hosted_expired(ob2):
    hosted(ob2, expires=CLOCK + timedelta(days=1))
    result = run(ob2, HOSTED_ID, now=CLOCK + timedelta(days=3))
    assert_fails(result, "validity", "expired")
    assert result.expired is True


def test_hosted_assertion_unreachable(ob2):
    assertion = hosted(ob2)
    del ob2.documents[HOSTED_ID]
    result = run(ob2, assertion)
    assert result.verified is False
    assert result.errors


def test_hosted_signed_shape_mismatch(ob2):
    assertion = hosted(ob2)
    ob2.documents[HOSTED_ID] = {**assertion, "verification": {"type": "SignedBadge"}}
    assert_fails(run(ob2, HOSTED_ID), "structure", "HostedBadge")


# --- forgeries: the issuer profile must come from the issuer's own id ----------------------------

def test_signed_with_an_embedded_issuer_listing_the_attackers_key(ob2, other_rsa_key):
    evil_key = "https://evil.example/key"
    ob2.documents[evil_key] = cryptographic_key_json(key_url=evil_key, owner=ISSUER2,
                                                     public_key_pem=rsa_public_pem(other_rsa_key.public_key()))
    assertion = assertion_json(assertion_id=SIGNED_ID, badgeclass_url=BADGE2, recipient_email="m@evil.example",
                               salt="s", issued_on=CLOCK, signed_by=evil_key)
    assertion["badge"] = {"type": "BadgeClass", "id": "https://evil.example/badge", "name": "Doctorate",
                          "issuer": {"id": ISSUER2, "type": "Issuer", "publicKey": evil_key}}
    assert_fails(run(ob2, sign_assertion(assertion, RsaSigner(other_rsa_key, evil_key))), "issuer_key")


def test_hosted_with_an_embedded_issuer_allowing_the_attackers_origin(ob2):
    url = "https://evil.example/assertions/1"
    assertion = hosted(ob2, assertion_id=url)
    assertion["badge"] = {"type": "BadgeClass", "id": "https://evil.example/badge", "name": "Doctorate",
                          "issuer": {"id": ISSUER2, "type": "Issuer",
                                     "verification": {"allowedOrigins": ["evil.example"]}}}
    ob2.documents[url] = assertion
    assert_fails(run(ob2, url), "issuer_key", "origin")


def test_issuer_url_serving_a_profile_with_another_id(ob2, other_rsa_key):
    evil_issuer, evil_key, evil_badge = "https://evil.example/issuer", "https://evil.example/key", \
        "https://evil.example/badge"
    ob2.documents[evil_issuer] = {**ob2.documents[ISSUER2], "publicKey": evil_key}  # still says id: ISSUER2
    ob2.documents[evil_key] = cryptographic_key_json(key_url=evil_key, owner=ISSUER2,
                                                     public_key_pem=rsa_public_pem(other_rsa_key.public_key()))
    ob2.documents[evil_badge] = {**ob2.documents[BADGE2], "id": evil_badge, "issuer": evil_issuer}
    token = signed(creator=evil_key, signer=RsaSigner(other_rsa_key, evil_key), badgeclass_url=evil_badge)
    assert_fails(run(ob2, token), "issuer_key", "says its id is")
