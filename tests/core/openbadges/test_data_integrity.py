"""eddsa-rdfc-2022 Data Integrity proofs (lti_tool.core.openbadges.data_integrity)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from lti_tool.core.encoding import b58_encode
from lti_tool.core.jsonld.safe_mode import UnsafeDocumentError
from lti_tool.core.keys import Ed25519Signer, ed25519_from_multibase
from lti_tool.core.openbadges.data_integrity import (
    CRYPTOSUITE,
    PROOF_TYPE,
    ProofError,
    add_proof,
    hash_data,
    proof_options,
    verify_proof,
)
from tests.core.fixtures.corekit import ED25519_KEY, VECTOR, deterministic_ed25519, vector_document

VECTOR_CREATED = datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)
VECTOR_VM = VECTOR["proof_options"]["verificationMethod"]
PUBLIC_KEY = ed25519_from_multibase(VECTOR["public_key_multibase"])


def vector_signer() -> Ed25519Signer:
    return Ed25519Signer(ED25519_KEY, VECTOR_VM)


def signed_vector() -> dict:
    document = vector_document()
    document["proof"] = [{**VECTOR["proof_options"], "proofValue": VECTOR["proof_value"]}]
    return document


def test_key_is_the_vectors():
    assert bytes.fromhex(VECTOR["public_key_hex"]) == PUBLIC_KEY.public_bytes_raw()
    assert vector_signer().public_key_multibase == VECTOR["public_key_multibase"]


def test_hash_data_is_proof_hash_then_document_hash(canonicalizer):
    digest = hash_data(vector_document(), VECTOR["proof_options"], canonicalizer)
    assert digest == bytes.fromhex(VECTOR["proof_hash"]) + bytes.fromhex(VECTOR["document_hash"])


def test_resigning_the_vector_reproduces_its_proof_value(canonicalizer):
    signed = add_proof(vector_document(), signer=vector_signer(), created=VECTOR_CREATED,
                       canonicalizer=canonicalizer)
    assert signed["proof"] == [{**VECTOR["proof_options"], "proofValue": VECTOR["proof_value"]}]
    assert bytes.fromhex(VECTOR["signature_hex"]) == ED25519_KEY.sign(
        bytes.fromhex(VECTOR["proof_hash"]) + bytes.fromhex(VECTOR["document_hash"]))


def test_proof_options_member_order():
    options = proof_options(verification_method=VECTOR_VM, created=VECTOR_CREATED)
    assert list(options) == ["type", "created", "verificationMethod", "cryptosuite", "proofPurpose"]
    assert options == VECTOR["proof_options"]
    assert "created" not in proof_options(verification_method=VECTOR_VM, created=None)


def test_vector_verifies(canonicalizer):
    signed = signed_vector()
    assert verify_proof(signed, signed["proof"][0], PUBLIC_KEY, canonicalizer) is True


def test_vector_verifies_with_proof_as_single_object(canonicalizer):
    signed = signed_vector()
    signed["proof"] = signed["proof"][0]
    assert verify_proof(signed, signed["proof"], PUBLIC_KEY, canonicalizer) is True


def _set(path, value):
    def mutate(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(path):
    def mutate(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


ACH = ("credentialSubject", "achievement")
TAMPERS = {
    "achievement.name": _set((*ACH, "name"), "Leadership"),
    "achievement.description": _set((*ACH, "description"), "Something else."),
    "criteria.narrative": _set((*ACH, "criteria", "narrative"), "Anyone may claim this badge."),
    "achievement.id": _set((*ACH, "id"), "https://example.com/achievements/other"),
    "validFrom": _set(("validFrom",), "2009-01-01T00:00:00Z"),
    "issuer.name": _set(("issuer", "name"), "Evil Corp"),
    "issuer.id": _set(("issuer", "id"), "https://evil.example/issuers/1"),
    "issuer.url": _set(("issuer", "url"), "https://evil.example"),
    "credential.id": _set(("id",), "http://example.com/credentials/3528"),
    "credential.name": _set(("name",), "Teamwork Badge!"),
    "subject.id": _set(("credentialSubject", "id"), "did:example:someone-else"),
    "type added": _set(("type",), ["VerifiableCredential", "OpenBadgeCredential", "EndorsementCredential"]),
    "field added (defined)": _set(("validUntil",), "2030-01-01T00:00:00Z"),
    "field added (description)": _set(("description",), "added after signing"),
    "field removed": _delete(("name",)),
    "proof.created": _set(("proof", 0, "created"), "2010-01-01T19:23:25Z"),
    "proof.proofPurpose": _set(("proof", 0, "proofPurpose"), "authentication"),
    "proof.verificationMethod": _set(("proof", 0, "verificationMethod"),
                                     "https://example.edu/issuers/565049#key-2"),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_any_tamper_breaks_the_proof(canonicalizer, name):
    signed = signed_vector()
    TAMPERS[name](signed)
    assert verify_proof(signed, signed["proof"][0], PUBLIC_KEY, canonicalizer) is False


@pytest.mark.parametrize("field", ["registrarNote", "issuanceDate"])
def test_undefined_field_added_after_signing_is_refused(canonicalizer, field):
    signed = signed_vector()
    signed[field] = "2010-01-01T00:00:00Z"
    with pytest.raises(UnsafeDocumentError, match=field):
        verify_proof(signed, signed["proof"][0], PUBLIC_KEY, canonicalizer)


def test_wrong_public_key_fails(canonicalizer):
    signed = signed_vector()
    other = deterministic_ed25519("someone else").public_key()
    assert verify_proof(signed, signed["proof"][0], other, canonicalizer) is False


def _proof_with(value):
    return {**VECTOR["proof_options"], "proofValue": value}


@pytest.mark.parametrize(("value", "message"), [
    ("u" + "A" * 86, "multibase base58-btc"),
    (VECTOR["proof_value"][1:], "multibase base58-btc"),
    ("z" + b58_encode(bytes(62) + b"\x01"), "not 64"),
    ("z" + b58_encode(b"\x01" * 65), "not 64"),
    ("z" + VECTOR["proof_value"][1:-2] + "0O", "not base58"),
    ("zIl" + VECTOR["proof_value"][3:], "not base58"),
    ("z", "not 64"),
    (42, "multibase"),
    (None, "multibase"),
])
def test_malformed_proof_value_is_a_proof_error(canonicalizer, value, message):
    with pytest.raises(ProofError, match=message):
        verify_proof(vector_document(), _proof_with(value), PUBLIC_KEY, canonicalizer)


@pytest.mark.parametrize("change", [{"type": "Ed25519Signature2020"}, {"cryptosuite": "eddsa-jcs-2022"},
                                    {"cryptosuite": "eddsa-rdf-2022"}, {"type": None}])
def test_other_proof_types_are_proof_errors(canonicalizer, change):
    proof = {**_proof_with(VECTOR["proof_value"]), **change}
    with pytest.raises(ProofError):
        verify_proof(vector_document(), proof, PUBLIC_KEY, canonicalizer)


def test_add_proof_appends_to_an_existing_proof_object(canonicalizer):
    first = signed_vector()
    first["proof"] = first["proof"][0]
    second_signer = Ed25519Signer(deterministic_ed25519("co-signer"), "did:example:cosigner#key-1")
    signed = add_proof(first, signer=second_signer, created=datetime(2026, 1, 15, tzinfo=UTC),
                       canonicalizer=canonicalizer)
    assert isinstance(signed["proof"], list)
    assert len(signed["proof"]) == 2
    assert signed["proof"][0] == first["proof"]
    assert signed["proof"][1]["verificationMethod"] == "did:example:cosigner#key-1"
    assert verify_proof(signed, signed["proof"][0], PUBLIC_KEY, canonicalizer)
    assert verify_proof(signed, signed["proof"][1], second_signer.private_key.public_key(), canonicalizer)


def test_add_proof_appends_to_an_existing_proof_list(canonicalizer):
    signed = signed_vector()
    twice = add_proof(signed, signer=vector_signer(), created=datetime(2026, 1, 15, tzinfo=UTC),
                      canonicalizer=canonicalizer)
    assert len(twice["proof"]) == 2
    assert twice["proof"][0] == signed["proof"][0]
    assert twice["proof"][1]["created"] == "2026-01-15T00:00:00Z"
    assert all(verify_proof(twice, proof, PUBLIC_KEY, canonicalizer) for proof in twice["proof"])


def test_add_proof_does_not_modify_its_input(canonicalizer):
    document = vector_document()
    before = copy.deepcopy(document)
    add_proof(document, signer=vector_signer(), created=VECTOR_CREATED, canonicalizer=canonicalizer)
    assert document == before


def test_add_proof_refuses_an_unsafe_document(canonicalizer):
    document = vector_document()
    document["registrarNote"] = "not in any context"
    with pytest.raises(UnsafeDocumentError):
        add_proof(document, signer=vector_signer(), created=VECTOR_CREATED, canonicalizer=canonicalizer)


def test_constants():
    assert (PROOF_TYPE, CRYPTOSUITE) == ("DataIntegrityProof", "eddsa-rdfc-2022")
