"""Resolving verification methods and binding them to the issuer (verify/methods.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_tool.core.keys import did_key_for
from lti_tool.core.openbadges.verify.methods import MethodError, resolve_ed25519_method
from tests.core.fixtures.corekit import CLOCK, ED25519_KEY, ISSUER_ID, KEY_URL, MULTIBASE


def test_https_key_document(world):
    method = resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve, proof_created=CLOCK)
    assert method.method_id == KEY_URL
    assert method.controller == ISSUER_ID
    assert method.public_key.public_bytes_raw() == ED25519_KEY.public_key().public_bytes_raw()


def test_method_given_as_an_object(world):
    method = resolve_ed25519_method({"id": KEY_URL}, issuer_id=ISSUER_ID, resolver=world.resolve)
    assert method.method_id == KEY_URL


def test_controller_given_as_an_object(world):
    world.documents[KEY_URL]["controller"] = {"id": ISSUER_ID}
    assert resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve).controller == ISSUER_ID


def test_key_document_without_controller(world):
    del world.documents[KEY_URL]["controller"]
    with pytest.raises(MethodError) as caught:
        resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve)
    assert caught.value.check == "issuer_key"


def test_assertion_method_listed_by_embedded_object(world):
    world.documents[ISSUER_ID]["assertionMethod"] = [{"id": KEY_URL}]
    assert resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve)


@pytest.mark.parametrize("method_id", [None, "", 42, "ftp://x/key", "urn:uuid:1", "did:example:123#k"])
def test_unusable_method_ids(world, method_id):
    with pytest.raises(MethodError) as caught:
        resolve_ed25519_method(method_id, issuer_id=ISSUER_ID, resolver=world.resolve)
    assert caught.value.check == "key"


def test_did_key_must_be_the_issuer():
    did = did_key_for(ED25519_KEY.public_key())
    assert resolve_ed25519_method(f"{did}#{MULTIBASE}", issuer_id=did, resolver=lambda url: {}).controller == did
    with pytest.raises(MethodError) as caught:
        resolve_ed25519_method(f"{did}#{MULTIBASE}", issuer_id=ISSUER_ID, resolver=lambda url: {})
    assert caught.value.check == "issuer_key"


def test_revocation_date_must_be_readable(world):
    world.documents[KEY_URL]["revoked"] = "last week"
    with pytest.raises(MethodError, match="unreadable"):
        resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve, proof_created=CLOCK)


def test_revoked_method_without_proof_created_is_refused(world):
    world.documents[KEY_URL]["revoked"] = (CLOCK + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(MethodError, match="revoked"):
        resolve_ed25519_method(KEY_URL, issuer_id=ISSUER_ID, resolver=world.resolve, proof_created=None)
