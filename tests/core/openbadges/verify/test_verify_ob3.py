"""Verifying OB 3.0 credentials through lti_tool.core.api.verify, with an in-memory resolver."""

from __future__ import annotations

import base64
import json
import posixpath
from dataclasses import replace
from datetime import timedelta
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.core.api import issue_credential, verify
from lti_tool.core.data import StatusEntry
from lti_tool.core.jose import sign_compact
from lti_tool.core.keys import Ed25519Signer, RsaSigner, did_key_for, ed25519_public_multibase, rsa_public_jwk
from lti_tool.core.openbadges.compose import compose_credential
from lti_tool.core.openbadges.issuer_documents import (
    PublishedEd25519Key,
    did_web_document,
    did_web_url,
    issuer_profile_document,
    key_document,
)
from lti_tool.core.openbadges.vc_jwt import jwt_claims
from tests.core.fixtures.corekit import (
    CLOCK,
    ED25519_KEY,
    ISSUER_ID,
    KEY_URL,
    MULTIBASE,
    RSA_KEY,
    RSA_KID,
    STATUS_LIST_URL,
    SUSPENSION_LIST_URL,
    deterministic_ed25519,
    full_claims,
    issuer_profile,
    minimal_claims,
    rsa_signer,
)
from tests.core.openbadges.verify.verify_helpers import LATER, assert_fails, assert_verified, run

STATUS_INDEX = 4242  # full_claims() uses this index on STATUS_LIST_URL
OTHER_ISSUER = "https://other.example/issuers/9"


@pytest.fixture(scope="module")
def attacker_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def names(result):
    return [check.name for check in result.checks]


# --- valid credentials ---------------------------------------------------------------------------

def test_valid_credential_without_status(world):
    result = run(world, world.issue().credential)
    assert_verified(result)
    assert result.format == "ob3-data-integrity"
    assert result.issuer_id == ISSUER_ID
    assert names(result) == ["structure", "jsonld", "proof", "issuer_key", "signature", "status", "validity"]
    assert [c.status for c in result.checks if c.name == "status"] == ["skip"]
    assert result.credential["id"] == minimal_claims().id


def test_valid_credential_with_status(world):
    result = run(world, world.issue(full_claims()).credential)
    assert_verified(result)
    assert [c.status for c in result.checks if c.name == "status"] == ["pass"]
    assert STATUS_LIST_URL in world.requested


def test_valid_credential_as_json_text_and_bytes(world):
    credential = world.issue().credential
    assert_verified(run(world, json.dumps(credential)))
    assert_verified(run(world, json.dumps(credential).encode("utf-8")))


def test_valid_vc_jwt(world):
    issued = world.issue(full_claims())
    result = run(world, issued.jwt)
    assert_verified(result)
    assert result.format == "ob3-vc-jwt"
    assert RSA_KID in world.requested
    assert result.credential == {k: v for k, v in issued.credential.items() if k != "proof"}


def test_did_key_issuer_verifies_offline(canonicalizer):
    did = did_key_for(ED25519_KEY.public_key())
    signer = Ed25519Signer(ED25519_KEY, f"{did}#{MULTIBASE}")
    issued = issue_credential(minimal_claims(issuer_id=did), signer=signer, created=CLOCK, canonicalizer=canonicalizer)
    result = verify(issued.credential, now=LATER, canonicalizer=canonicalizer)  # default resolver: no network
    assert_verified(result)
    assert result.issuer_id == did


def test_did_key_issuer_with_someone_elses_did_key(canonicalizer):
    did = did_key_for(ED25519_KEY.public_key())
    other = deterministic_ed25519("other")
    other_did = did_key_for(other.public_key())
    signer = Ed25519Signer(other, f"{other_did}#{ed25519_public_multibase(other.public_key())}")
    issued = issue_credential(minimal_claims(issuer_id=did), signer=signer, created=CLOCK, canonicalizer=canonicalizer)
    assert_fails(verify(issued.credential, now=LATER, canonicalizer=canonicalizer), "issuer_key", "not by the issuer")


def test_did_web_issuer(world):
    did = "did:web:badges.example.edu:issuers:1"
    world.documents[did_web_url(did)] = did_web_document(did, [PublishedEd25519Key(id="ignored",
                                                                                   public_key_multibase=MULTIBASE)])
    signer = Ed25519Signer(ED25519_KEY, f"{did}#{MULTIBASE}")
    issued = issue_credential(minimal_claims(issuer_id=did), signer=signer, created=CLOCK,
                              canonicalizer=world.canonicalizer)
    result = run(world, issued.credential)
    assert_verified(result)
    assert world.requested == ["https://badges.example.edu/issuers/1/did.json"]


def test_did_web_issuer_method_missing_from_did_document(world):
    did = "did:web:badges.example.edu:issuers:1"
    world.documents[did_web_url(did)] = did_web_document(did, [])
    signer = Ed25519Signer(ED25519_KEY, f"{did}#{MULTIBASE}")
    issued = issue_credential(minimal_claims(issuer_id=did), signer=signer, created=CLOCK,
                              canonicalizer=world.canonicalizer)
    assert_fails(run(world, issued.credential), "key", "has no verification method")


def test_https_issuer_with_fragment_method(world):
    method = f"{ISSUER_ID}#{MULTIBASE}"
    world.documents[ISSUER_ID] = issuer_profile_document(
        issuer_profile(), [PublishedEd25519Key(id=method, public_key_multibase=MULTIBASE)])
    issued = issue_credential(minimal_claims(), signer=Ed25519Signer(ED25519_KEY, method), created=CLOCK,
                              canonicalizer=world.canonicalizer)
    assert_verified(run(world, issued.credential))
    assert world.requested == [ISSUER_ID]


# --- failures ---------------------------------------------------------------------------------------

def test_tampered(world):
    credential = world.issue().credential
    credential["credentialSubject"]["achievement"]["name"] = "Leadership"
    result = run(world, credential)
    assert_fails(result, "signature", "altered")


def test_tampered_jwt_payload(world):
    token = world.issue().jwt
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["credentialSubject"]["achievement"]["name"] = "Leadership"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert_fails(run(world, f"{header}.{forged}.{signature}"), "signature")


def test_revoked_via_status_list(world):
    issued = world.issue(full_claims())
    world.publish_list(STATUS_LIST_URL, "revocation", set_bits=(STATUS_INDEX,))
    for data in (issued.credential, issued.jwt):
        result = run(world, data)
        assert_fails(result, "status", "revoked")
        assert result.revoked is True


def test_other_bits_do_not_revoke(world):
    issued = world.issue(full_claims())
    world.publish_list(STATUS_LIST_URL, "revocation", set_bits=(STATUS_INDEX - 1, STATUS_INDEX + 1))
    assert_verified(run(world, issued.credential))


def test_suspended(world):
    claims = replace(full_claims(), status=StatusEntry(SUSPENSION_LIST_URL, 7, "suspension"))
    issued = world.issue(claims)
    assert_verified(run(world, issued.credential))
    world.publish_list(SUSPENSION_LIST_URL, "suspension", set_bits=(7,))
    result = run(world, issued.credential)
    assert_fails(result, "status", "suspended")
    assert result.revoked is False


def test_status_list_issued_by_someone_else(world):
    issued = world.issue(full_claims())
    world.publish_list(STATUS_LIST_URL, "revocation", issuer_id=OTHER_ISSUER)
    assert_fails(run(world, issued.credential), "status", "someone other")


def test_status_list_signed_with_a_key_the_issuer_does_not_control(world):
    issued = world.issue(full_claims())
    other = deterministic_ed25519("other issuer")
    other_key = PublishedEd25519Key(id="https://other.example/keys/1",
                                    public_key_multibase=ed25519_public_multibase(other.public_key()))
    world.documents[other_key.id] = key_document(other_key, OTHER_ISSUER)
    world.publish_list(STATUS_LIST_URL, "revocation", signer=Ed25519Signer(other, other_key.id))
    assert_fails(run(world, issued.credential), "status", "does not verify")


def test_status_list_that_does_not_verify(world):
    issued = world.issue(full_claims())
    status_list = world.documents[STATUS_LIST_URL]
    world.publish_list(STATUS_LIST_URL, "revocation", set_bits=(1,))
    # Keep the old proof on a changed list: the signature no longer matches.
    world.documents[STATUS_LIST_URL] = {**world.documents[STATUS_LIST_URL], "proof": status_list["proof"]}
    result = run(world, issued.credential)
    assert_fails(result, "status", "does not verify")
    assert result.revoked is False


def test_status_list_without_proof(world):
    issued = world.issue(full_claims())
    del world.documents[STATUS_LIST_URL]["proof"]
    assert_fails(run(world, issued.credential), "status", "does not verify")


def test_status_list_with_wrong_purpose(world):
    issued = world.issue(full_claims())
    world.publish_list(STATUS_LIST_URL, "suspension", set_bits=(STATUS_INDEX,))
    assert_fails(run(world, issued.credential), "status", "purpose")


def test_status_list_unreachable(world):
    issued = world.issue(full_claims())
    del world.documents[STATUS_LIST_URL]
    assert_fails(run(world, issued.credential), "status", "could not retrieve status list")


def test_status_list_is_not_a_status_list_credential(world):
    issued = world.issue(full_claims())
    world.documents[STATUS_LIST_URL] = world.issue().credential
    assert_fails(run(world, issued.credential), "status", "not a BitstringStatusListCredential")


def test_status_index_beyond_the_list(world):
    claims = replace(full_claims(), status=StatusEntry(STATUS_LIST_URL, 131_072))
    assert_fails(run(world, world.issue(claims).credential), "status", "outside the list")


def test_expired(world):
    issued = world.issue(minimal_claims(valid_until=CLOCK + timedelta(days=1)))
    assert_verified(run(world, issued.credential, now=CLOCK + timedelta(hours=1)))
    for data in (issued.credential, issued.jwt):
        result = run(world, data, now=CLOCK + timedelta(days=10))
        assert_fails(result, "validity", "expired")
        assert result.expired is True


def test_not_yet_valid(world):
    issued = world.issue()
    result = run(world, issued.credential, now=CLOCK - timedelta(hours=1))
    assert_fails(result, "validity", "not valid until")
    assert result.expired is False
    assert_verified(run(world, issued.credential, now=CLOCK - timedelta(minutes=4)))  # clock skew allowed


def test_key_controller_is_not_the_issuer(world):
    world.documents[KEY_URL]["controller"] = OTHER_ISSUER
    assert_fails(run(world, world.issue().credential), "issuer_key", "not by the issuer")


def test_method_not_listed_under_assertion_method(world):
    world.documents[ISSUER_ID]["assertionMethod"] = []
    assert_fails(run(world, world.issue().credential), "issuer_key", "does not list")


def test_controller_document_id_mismatch(world):
    world.documents[ISSUER_ID]["id"] = "https://badges.example.edu/issuers/2"
    assert_fails(run(world, world.issue().credential), "issuer_key", "controller document id")


def test_controller_document_unreachable(world):
    del world.documents[ISSUER_ID]
    assert_fails(run(world, world.issue().credential), "key", "could not retrieve")


@pytest.mark.parametrize("method_type", ["JsonWebKey2020", "EcdsaSecp256k1VerificationKey2019", None])
def test_key_document_type_not_multikey(world, method_type):
    world.documents[KEY_URL]["type"] = method_type
    assert_fails(run(world, world.issue().credential), "key", "not an Ed25519 key type")


def test_key_document_with_a_non_ed25519_multikey(world):
    world.documents[KEY_URL]["publicKeyMultibase"] = "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"  # P-256
    assert_fails(run(world, world.issue().credential), "key", "Ed25519")


def test_method_revoked_before_proof_created(world):
    world.documents[KEY_URL]["revoked"] = (CLOCK - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_fails(run(world, world.issue().credential), "key", "revoked")


def test_method_revoked_at_proof_created(world):
    world.documents[KEY_URL]["revoked"] = CLOCK.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_fails(run(world, world.issue().credential), "key", "revoked")


def test_revoked_key_removed_from_assertion_method_by_the_issuer_documents(world):
    revoked = PublishedEd25519Key(id=KEY_URL, public_key_multibase=MULTIBASE, revoked="2025-01-01T00:00:00Z")
    world.documents[ISSUER_ID] = issuer_profile_document(issuer_profile(), [revoked])
    world.documents[KEY_URL] = key_document(revoked, ISSUER_ID)
    assert_fails(run(world, world.issue().credential), "issuer_key", "does not list")


def test_method_document_posing_as_the_controller_document_is_refused(world):
    # An attacker serves, at a method URL they control, a document claiming to be the issuer's
    # controller document and listing their own key: only the issuer's own URL may authorize a key.
    attacker = deterministic_ed25519("attacker")
    method = "https://evil.example/key"
    world.documents[method] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": ISSUER_ID,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": ISSUER_ID,
                                "publicKeyMultibase": ed25519_public_multibase(attacker.public_key())}],
        "assertionMethod": [method]}
    forged = world.sign(compose_credential(minimal_claims()), signer=Ed25519Signer(attacker, method))
    assert_fails(run(world, forged), "issuer_key", "does not list")
    assert ISSUER_ID in world.requested


def test_did_web_document_claiming_another_did_is_refused(world):
    victim = "did:web:badges.example.edu:issuers:1"
    world.documents[did_web_url(victim)] = did_web_document(victim, [PublishedEd25519Key(
        id="ignored", public_key_multibase=MULTIBASE)])
    attacker = deterministic_ed25519("attacker")
    evil = "did:web:evil.example"
    method = f"{evil}#key-1"
    world.documents[did_web_url(evil)] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": victim,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": victim,
                                "publicKeyMultibase": ed25519_public_multibase(attacker.public_key())}],
        "assertionMethod": [method]}
    forged = world.sign(compose_credential(minimal_claims(issuer_id=victim)), signer=Ed25519Signer(attacker, method))
    assert_fails(run(world, forged), "issuer_key", "belongs to did:web:evil.example")


def test_signed_by_another_key_under_the_same_method(world):
    impostor = Ed25519Signer(deterministic_ed25519("impostor"), KEY_URL)
    signed = world.sign(compose_credential(minimal_claims()), signer=impostor)
    assert_fails(run(world, signed), "signature")


def _jwt(header, credential, **claim_changes):
    payload = {**credential, **jwt_claims(credential), **claim_changes}
    return sign_compact(header, payload, rsa_signer().sign)


def test_jwt_with_embedded_jwk_cannot_be_bound(world):
    credential = compose_credential(minimal_claims())
    token = _jwt({"alg": "RS256", "jwk": rsa_public_jwk(RSA_KEY.public_key()), "typ": "JWT"}, credential)
    assert_fails(run(world, token), "issuer_key", "cannot be bound")


def test_jwt_kid_not_under_issuer_and_jwk_iss_mismatch(world):
    kid = "https://other.example/keys/rsa-1"
    world.documents[kid] = rsa_public_jwk(RSA_KEY.public_key(), kid=kid, issuer="https://other.example")
    token = _jwt({"alg": "RS256", "kid": kid, "typ": "JWT"}, compose_credential(minimal_claims()))
    assert_fails(run(world, token), "issuer_key", "not published by the issuer")


def test_jwt_key_hosted_elsewhere_claiming_the_issuer_is_refused(world, attacker_rsa_key):
    # A JWK's "iss" is written by whoever hosts it: on its own it binds nothing to the issuer.
    kid = "https://keys.evil.example/rsa-1"
    world.documents[kid] = rsa_public_jwk(attacker_rsa_key.public_key(), kid=kid, issuer=ISSUER_ID)
    credential = compose_credential(minimal_claims())
    credential["credentialSubject"]["achievement"]["name"] = "Forged degree"
    token = sign_compact({"alg": "RS256", "kid": kid, "typ": "JWT"}, {**credential, **jwt_claims(credential)},
                         RsaSigner(attacker_rsa_key, kid).sign)
    assert_fails(run(world, token), "issuer_key", "not published by the issuer")


def test_jwt_key_on_the_issuer_origin_naming_the_issuer(world):
    kid = "https://badges.example.edu/.well-known/jwks.json"
    world.documents[kid] = {"keys": [rsa_public_jwk(RSA_KEY.public_key(), kid=kid, issuer=ISSUER_ID)]}
    token = _jwt({"alg": "RS256", "kid": kid, "typ": "JWT"}, compose_credential(minimal_claims()))
    assert_verified(run(world, token))
    world.documents[kid] = {"keys": [rsa_public_jwk(RSA_KEY.public_key(), kid=kid, issuer=OTHER_ISSUER)]}
    assert_fails(run(world, token), "issuer_key")


@pytest.mark.parametrize("kid", [
    f"{ISSUER_ID}/../2/keys/rsa-1",
    f"{ISSUER_ID}/%2e%2e/2/keys/rsa-1",
    f"{ISSUER_ID}/keys/%2E%2E/%2e%2e/2/keys/rsa-1",
])
def test_jwt_kid_climbing_out_of_the_issuer_path_is_refused(world, kid):
    # Another issuer on the same host (issuers/2) must not be able to sign for issuers/1: HTTP clients
    # (requests/urllib3) and servers remove dot segments, so this kid fetches issuers/2's key.
    other_kid = "https://badges.example.edu/issuers/2/keys/rsa-1"
    world.documents[other_kid] = rsa_public_jwk(RSA_KEY.public_key(), kid=other_kid,
                                                issuer="https://badges.example.edu/issuers/2")

    def normalizing(url):
        parts = urlsplit(url)
        path = posixpath.normpath(unquote(parts.path))
        return world.resolve(urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment)))

    token = _jwt({"alg": "RS256", "kid": kid, "typ": "JWT"}, compose_credential(minimal_claims()))
    result = verify(token, now=LATER, resolver=normalizing, canonicalizer=world.canonicalizer)
    assert_fails(result, "issuer_key", "not published by the issuer")


def test_jwt_kid_served_in_a_jwks(world):
    kid = f"{ISSUER_ID}/jwks"
    world.documents[kid] = {"keys": [rsa_public_jwk(RSA_KEY.public_key(), kid=kid)]}
    token = _jwt({"alg": "RS256", "kid": kid, "typ": "JWT"}, compose_credential(minimal_claims()))
    assert_verified(run(world, token))


def test_jwt_kid_unreachable(world):
    del world.documents[RSA_KID]
    assert_fails(run(world, world.issue().jwt), "key", "could not retrieve key")


@pytest.mark.parametrize(("claim", "value"), [("nbf", int(CLOCK.timestamp()) - 3600), ("iss", OTHER_ISSUER),
                                              ("sub", "did:example:mallory"), ("jti", "urn:uuid:other")])
def test_jwt_claim_mismatch(world, claim, value):
    token = _jwt({"alg": "RS256", "kid": RSA_KID, "typ": "JWT"}, compose_credential(minimal_claims()),
                 **{claim: value})
    assert_fails(run(world, token), "claims", repr(claim))


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "RS512"])
def test_jwt_with_other_alg_is_refused(world, alg):
    token = _jwt({"alg": alg, "kid": RSA_KID, "typ": "JWT"}, compose_credential(minimal_claims()))
    result = run(world, token)
    assert_fails(result, "parse", "RS256 only")
    assert RSA_KID not in world.requested


def test_jwt_with_typ_vc_jwt_is_refused(world):
    token = _jwt({"alg": "RS256", "kid": RSA_KID, "typ": "vc+jwt"}, compose_credential(minimal_claims()))
    assert_fails(run(world, token), "proof", "typ")


def _with_1edtech_list(world, revoked_entries):
    list_url = "https://badges.example.edu/revocations/1"
    credential = compose_credential(minimal_claims())  # includes extensions.json, which defines the type
    credential["credentialStatus"] = {"id": list_url, "type": "1EdTechRevocationList"}
    world.documents[list_url] = {"id": list_url, "type": ["1EdTechRevocationList"],
                                 "revokedCredential": revoked_entries(credential["id"])}
    return world.sign(credential)


def test_1edtech_revocation_list_revoked_entry(world):
    signed = _with_1edtech_list(world, lambda cid: [{"id": cid, "revoked": True, "revocationReason": "In error"}])
    result = run(world, signed)
    assert_fails(result, "status", "In error")
    assert result.revoked is True


def test_1edtech_revocation_list_other_entries(world):
    signed = _with_1edtech_list(world, lambda cid: [{"id": "urn:uuid:someone-else", "revoked": True}])
    assert_verified(run(world, signed))


@pytest.mark.parametrize("cryptosuite", ["eddsa-jcs-2022", "eddsa-2022", "ecdsa-rdfc-2019"])
def test_unsupported_cryptosuite(world, cryptosuite):
    credential = world.issue().credential
    credential["proof"][0]["cryptosuite"] = cryptosuite
    assert_fails(run(world, credential), "proof", cryptosuite)


def test_proof_purpose_must_be_assertion_method(world):
    credential = world.issue().credential
    credential["proof"][0]["proofPurpose"] = "authentication"
    assert_fails(run(world, credential), "proof")


def test_no_proof(world):
    credential = world.issue().credential
    del credential["proof"]
    assert_fails(run(world, credential), "proof", "no proof")


def test_unreadable_proof_created(world):
    credential = world.issue().credential
    credential["proof"][0]["created"] = "yesterday"
    assert_fails(run(world, credential), "proof", "proof.created")


@pytest.mark.parametrize(("mutation", "fragment"), [
    (lambda c: c.__setitem__("@context", c["@context"][1:]), "first @context"),
    (lambda c: c.__setitem__("type", ["VerifiableCredential"]), "OpenBadgeCredential"),
    (lambda c: c["issuer"].__setitem__("type", ["Issuer"]), "Profile"),
    (lambda c: c["credentialSubject"]["achievement"].pop("criteria"), "criteria"),
    (lambda c: c["credentialSubject"]["achievement"].__setitem__("image", "https://e.org/i.png"), "Image object"),
    (lambda c: c.pop("validFrom"), "validFrom is required"),
])
def test_structure_failures(world, mutation, fragment):
    credential = world.issue().credential
    mutation(credential)
    assert_fails(run(world, credential), "structure", fragment)


def test_old_ob_context_only_warns(world):
    credential = compose_credential(minimal_claims())
    credential["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
    result = run(world, world.sign(credential))
    assert result.verified is True
    assert any(c.status == "warn" and "context-3.0.2" in c.message for c in result.checks)


def test_unsafe_credential_reports_jsonld_and_skips_the_signature(world):
    credential = world.issue().credential
    credential["registrarNote"] = "added"
    result = run(world, credential)
    assert_fails(result, "jsonld", "registrarNote")
    assert "signature" not in names(result)
