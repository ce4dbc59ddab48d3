"""The core's front door (lti_tool.core.api): issuing raises IssuingError, nothing half-signed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_tool.core.api import IssuingError, issue_credential, sign_document, verify
from lti_tool.core.keys import Ed25519Signer
from lti_tool.core.openbadges.compose import compose_credential
from tests.core.fixtures.corekit import (
    CLOCK,
    ED25519_KEY,
    KEY_URL,
    deterministic_ed25519,
    ed25519_signer,
    minimal_claims,
    rsa_signer,
)


def test_issue_without_jwt_signer(canonicalizer):
    issued = issue_credential(minimal_claims(), signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer)
    assert issued.jwt is None
    assert issued.credential["proof"][0]["verificationMethod"] == KEY_URL


def test_composition_error_becomes_issuing_error(canonicalizer):
    with pytest.raises(IssuingError, match="validUntil"):
        issue_credential(minimal_claims(valid_until=CLOCK - timedelta(days=1)), signer=ed25519_signer(),
                         created=CLOCK, canonicalizer=canonicalizer)


def test_jwt_without_subject_id_becomes_issuing_error(canonicalizer):
    from lti_tool.core.openbadges.compose import identity_object

    claims = minimal_claims(subject_id=None, identifiers=(identity_object("emailAddress", "a@b.edu", salt="s"),))
    with pytest.raises(IssuingError, match=r"credentialSubject\.id"):
        issue_credential(claims, signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer,
                         jwt_signer=rsa_signer())
    issued = issue_credential(claims, signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer)
    assert issued.jwt is None


def test_sign_document_refuses_unsafe_documents(canonicalizer):
    document = compose_credential(minimal_claims())
    document["credentialSubject"]["achievement"]["registrarId"] = "R-1"
    with pytest.raises(IssuingError, match="registrarId"):
        sign_document(document, signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer)


def test_sign_document_refuses_unprocessable_documents(canonicalizer):
    document = compose_credential(minimal_claims())
    document["@context"].append("https://evil.example/context.jsonld")
    with pytest.raises(IssuingError, match="refusing to sign"):
        sign_document(document, signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer)


def test_sign_document_refuses_pyld_crashes(canonicalizer):
    document = compose_credential(minimal_claims())
    document["@context"].append({"@vocab": None})
    with pytest.raises(IssuingError, match="refusing to sign"):
        sign_document(document, signer=ed25519_signer(), created=CLOCK, canonicalizer=canonicalizer)


def test_self_check_catches_a_signer_whose_key_is_not_its_own(canonicalizer):
    class LyingSigner(Ed25519Signer):
        def sign(self, data: bytes) -> bytes:
            return deterministic_ed25519("someone else").sign(data)

    with pytest.raises(IssuingError, match="does not verify"):
        sign_document(compose_credential(minimal_claims()), signer=LyingSigner(ED25519_KEY, KEY_URL), created=CLOCK,
                      canonicalizer=canonicalizer)


def test_verify_uses_a_shared_canonicalizer_and_no_network_by_default():
    result = verify(compose_credential(minimal_claims()), now=CLOCK)
    assert result.verified is False
    assert {c.name for c in result.errors} == {"proof"}
