"""A learner's CLR 2.0 for a term: their current credentials from one issuer, signed as one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lti_tool.core.openbadges.data_integrity import verify_proof
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.canonicalizer import shared_canonicalizer
from lti_tool.services.clr import clr_issue, clr_learners
from lti_tool.services.errors import ServiceError
from lti_tool.services.issuers import issuer_signers
from lti_tool.services.verification import credential_verify


def test_the_term_holds_current_credentials_only_and_the_proof_covers_them(make_achievement, learner):
    now = timezone.now()
    kept = award_issue(achievement=make_achievement(name="Data Literacy"), learner=learner, issued_by="t")
    revoked = award_issue(achievement=make_achievement(name="Spreadsheets"), learner=learner, issued_by="t")
    award_revoke(award=revoked, reason="error", revoked_by="r")
    award_issue(achievement=make_achievement(name="Last year"), learner=learner, issued_by="t",
                now=now - timedelta(days=400))
    award_issue(achievement=make_achievement(name="CPR", valid_for_days=1), learner=learner, issued_by="t",
                now=now - timedelta(days=3))  # expired since
    first, last = (now - timedelta(days=100)).date(), now.date()
    clr = clr_issue(issuer=kept.achievement.issuer, learner=learner, first=first, last=last, term="2026 Fall")
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"] and "2026 Fall" in clr["name"]
    assert clr["@context"][1] == "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
    subject = clr["credentialSubject"]
    assert subject["id"] == learner.subject_id and subject["verifiableCredential"] == [kept.credential]
    assert [a["name"] for a in subject["achievement"]] == ["Data Literacy"]
    assert "ana@example.edu" not in str(subject["identifier"])  # hashed
    assert credential_verify(data=subject["verifiableCredential"][0]).verified
    signer, _ = issuer_signers(issuer=kept.achievement.issuer)
    unsigned = {k: v for k, v in clr.items() if k != "proof"}
    [proof] = clr["proof"] if isinstance(clr["proof"], list) else [clr["proof"]]
    assert verify_proof(unsigned, proof, signer.private_key.public_key(), shared_canonicalizer())
    assert clr_learners(issuer=kept.achievement.issuer, first=first, last=last) == [learner]


def test_no_credential_in_the_term_is_an_error(achievement, learner):
    with pytest.raises(ServiceError, match="holds no credential"):
        clr_issue(issuer=achievement.issuer, learner=learner, first=timezone.now().date(), last=timezone.now().date())
