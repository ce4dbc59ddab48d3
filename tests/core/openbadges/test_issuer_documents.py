"""Documents an issuer publishes (lti_tool.core.openbadges.issuer_documents)."""

from __future__ import annotations

import pytest

from lti_tool.core.keys import ed25519_public_multibase, rsa_public_jwk
from lti_tool.core.openbadges.issuer_documents import (
    DID_V1_CONTEXT,
    MULTIKEY_V1_CONTEXT,
    PublishedEd25519Key,
    did_web_document,
    did_web_for,
    did_web_url,
    issuer_profile_document,
    jwks,
    key_document,
)
from tests.core.fixtures.corekit import (
    ISSUER_ID,
    KEY_URL,
    MULTIBASE,
    RSA_KEY,
    RSA_KID,
    deterministic_ed25519,
    issuer_profile,
)

OLD_MULTIBASE = ed25519_public_multibase(deterministic_ed25519("old key").public_key())
BAD_MULTIBASE = ed25519_public_multibase(deterministic_ed25519("compromised key").public_key())
CURRENT = PublishedEd25519Key(id=KEY_URL, public_key_multibase=MULTIBASE)
RETIRED = PublishedEd25519Key(id=f"{ISSUER_ID}/keys/{OLD_MULTIBASE}", public_key_multibase=OLD_MULTIBASE)
REVOKED = PublishedEd25519Key(id=f"{ISSUER_ID}/keys/{BAD_MULTIBASE}", public_key_multibase=BAD_MULTIBASE,
                              revoked="2025-06-01T00:00:00Z")


def test_controller_document_contexts_and_profile():
    document = issuer_profile_document(issuer_profile(), [CURRENT])
    assert document["@context"][0] == DID_V1_CONTEXT == "https://www.w3.org/ns/did/v1"
    assert MULTIKEY_V1_CONTEXT in document["@context"]
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in document["@context"]
    assert document["id"] == ISSUER_ID
    assert document["type"] == ["Profile"]
    assert document["name"] == "Example University"


def test_every_key_is_a_verification_method_and_current_ones_assert():
    document = issuer_profile_document(issuer_profile(), [CURRENT, RETIRED, REVOKED])
    methods = document["verificationMethod"]
    assert [m["id"] for m in methods] == [CURRENT.id, RETIRED.id, REVOKED.id]
    for method, key in zip(methods, [CURRENT, RETIRED, REVOKED], strict=True):
        assert method["type"] == "Multikey"
        assert method["controller"] == ISSUER_ID
        assert method["publicKeyMultibase"] == key.public_key_multibase
    assert document["assertionMethod"] == [CURRENT.id, RETIRED.id]


def test_revoked_key_is_marked_and_not_an_assertion_method():
    document = issuer_profile_document(issuer_profile(), [CURRENT, REVOKED])
    revoked = next(m for m in document["verificationMethod"] if m["id"] == REVOKED.id)
    assert revoked["revoked"] == "2025-06-01T00:00:00Z"
    assert REVOKED.id not in document["assertionMethod"]
    current = next(m for m in document["verificationMethod"] if m["id"] == CURRENT.id)
    assert "revoked" not in current


def test_also_known_as():
    document = issuer_profile_document(issuer_profile(), [CURRENT], also_known_as=["did:web:badges.example.edu"])
    assert document["alsoKnownAs"] == ["did:web:badges.example.edu"]
    assert "alsoKnownAs" not in issuer_profile_document(issuer_profile(), [CURRENT])


def test_controller_document_is_safe_mode_clean(canonicalizer):
    document = issuer_profile_document(issuer_profile(), [CURRENT, REVOKED],
                                       also_known_as=["did:web:badges.example.edu"])
    assert canonicalizer.canonicalize(document)


def test_key_document_shape(canonicalizer):
    document = key_document(CURRENT, ISSUER_ID)
    assert document == {"@context": MULTIKEY_V1_CONTEXT, "id": KEY_URL, "type": "Multikey",
                        "controller": ISSUER_ID, "publicKeyMultibase": MULTIBASE}
    assert canonicalizer.canonicalize(document)
    assert key_document(REVOKED, ISSUER_ID)["revoked"] == "2025-06-01T00:00:00Z"


@pytest.mark.parametrize(("url", "did", "document_url"), [
    ("https://example.edu", "did:web:example.edu", "https://example.edu/.well-known/did.json"),
    ("https://example.edu/", "did:web:example.edu", "https://example.edu/.well-known/did.json"),
    ("https://badges.example.edu/issuers/1", "did:web:badges.example.edu:issuers:1",
     "https://badges.example.edu/issuers/1/did.json"),
    ("https://localhost:8443", "did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
    ("https://badges.example.edu:8443/issuers/1/", "did:web:badges.example.edu%3A8443:issuers:1",
     "https://badges.example.edu:8443/issuers/1/did.json"),
])
def test_did_web_round_trip(url, did, document_url):
    assert did_web_for(url) == did
    assert did_web_url(did) == document_url
    assert did_web_url(f"{did}#key-1") == document_url


def test_did_web_url_accepts_lower_case_percent_encoding():
    assert did_web_url("did:web:localhost%3a8443:u") == "https://localhost:8443/u/did.json"


@pytest.mark.parametrize("did", ["did:key:z6Mk", "https://example.edu", "did:webx:example.edu"])
def test_did_web_url_refuses_other_identifiers(did):
    with pytest.raises(ValueError, match="did:web"):
        did_web_url(did)


def test_did_web_document(canonicalizer):
    did = did_web_for("https://badges.example.edu/issuers/1")
    document = did_web_document(did, [CURRENT, REVOKED], also_known_as=[ISSUER_ID])
    assert document["@context"] == [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT]
    assert document["id"] == did
    assert document["alsoKnownAs"] == [ISSUER_ID]
    assert [m["id"] for m in document["verificationMethod"]] == [f"{did}#{MULTIBASE}", f"{did}#{BAD_MULTIBASE}"]
    assert all(m["controller"] == did for m in document["verificationMethod"])
    assert document["assertionMethod"] == [f"{did}#{MULTIBASE}"]
    assert document["verificationMethod"][1]["revoked"] == "2025-06-01T00:00:00Z"
    assert canonicalizer.canonicalize(document)


def test_jwks():
    jwk = rsa_public_jwk(RSA_KEY.public_key(), kid=RSA_KID, issuer=ISSUER_ID)
    assert jwks([jwk]) == {"keys": [jwk]}
    assert jwks(iter([])) == {"keys": []}
