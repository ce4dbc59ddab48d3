"""Issuing and revoking awards through the one issuing service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lti_tool.models import Award, PermanentRecordError
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.errors import NotIssuableError, ServiceError
from lti_tool.services.issuers import issuer_rotate_keys
from lti_tool.services.verification import credential_verify


def test_issued_credential_verifies_in_both_forms(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    for data in (award.credential, award.credential_jwt, award.ob2_assertion_jws):
        result = credential_verify(data=data)
        assert result.verified, result.as_dict()
    assert award.credential["credentialSubject"]["id"] == learner.subject_id
    assert award.credential["id"] == f"http://testserver/credentials/{award.uuid}"


def test_credential_carries_hashed_email_and_plain_lti_free_identifiers(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    identifiers = {i["identityType"]: i for i in award.credential["credentialSubject"]["identifier"]}
    assert identifiers["emailAddress"]["hashed"] is True
    assert identifiers["emailAddress"]["identityHash"].startswith("sha256$")
    assert "ana@example.edu" not in str(award.credential)
    assert identifiers["sisSourcedId"]["hashed"] is True


def test_second_award_of_same_badge_is_refused(achievement, learner):
    award_issue(achievement=achievement, learner=learner, issued_by="test")
    with pytest.raises(NotIssuableError, match="already holds"):
        award_issue(achievement=achievement, learner=learner, issued_by="test")
    assert Award.objects.count() == 1


def test_re_earnable_badge_can_be_awarded_again(make_achievement, learner):
    achievement = make_achievement(name="Weekly Helper", re_earnable=True)
    first = award_issue(achievement=achievement, learner=learner, issued_by="test")
    second = award_issue(achievement=achievement, learner=learner, issued_by="test")
    assert first.uuid != second.uuid
    assert Award.objects.filter(achievement=achievement, is_current=True).count() == 2


def test_expired_award_is_superseded_by_a_new_one(make_achievement, learner):
    achievement = make_achievement(name="CPR", valid_for_days=365)
    old = award_issue(achievement=achievement, learner=learner, issued_by="test",
                      now=timezone.now() - timedelta(days=400))
    assert credential_verify(data=old.credential).expired
    new = award_issue(achievement=achievement, learner=learner, issued_by="test")
    old.refresh_from_db()
    assert old.is_current is False and old.superseded_by_id == new.pk
    assert new.valid_until - new.valid_from == timedelta(days=365)


def test_revocation_flips_status_and_keeps_the_record(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    award_revoke(award=award, reason="Academic integrity finding", revoked_by="registrar")
    award.refresh_from_db()
    assert award.revoked_at is not None and award.revocation_reason == "Academic integrity finding"
    for data in (award.credential, award.credential_jwt):
        result = credential_verify(data=data)
        assert not result.verified and result.revoked
    ob2 = credential_verify(data=award.ob2_assertion_jws)
    assert ob2.revoked
    with pytest.raises(ServiceError, match="already revoked"):
        award_revoke(award=award, reason="again", revoked_by="registrar")
    # a revoked award frees the slot: the learner can earn it again
    again = award_issue(achievement=achievement, learner=learner, issued_by="test")
    assert credential_verify(data=again.credential).verified


def test_revocation_needs_a_reason(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    with pytest.raises(ServiceError, match="reason"):
        award_revoke(award=award, reason="  ", revoked_by="x")


def test_awards_cannot_be_deleted(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    with pytest.raises(PermanentRecordError):
        award.delete()
    with pytest.raises(PermanentRecordError):
        Award.objects.all().delete()
    assert Award.objects.count() == 1


@pytest.mark.parametrize("status", ["draft", "submitted", "retired"])
def test_only_approved_or_active_achievements_are_issued(make_achievement, learner, status):
    achievement = make_achievement(name=f"Badge {status}", status=status)
    with pytest.raises(NotIssuableError, match="not approved or active"):
        award_issue(achievement=achievement, learner=learner, issued_by="test")


def test_effective_and_expiration_dates_limit_issuing(make_achievement, learner):
    today = timezone.now().date()
    future = make_achievement(name="Future", effective_date=str(today + timedelta(days=3)))
    with pytest.raises(NotIssuableError, match="from"):
        award_issue(achievement=future, learner=learner, issued_by="test")
    past = make_achievement(name="Past", expiration_date=str(today - timedelta(days=1)))
    with pytest.raises(NotIssuableError, match="until"):
        award_issue(achievement=past, learner=learner, issued_by="test")


def test_old_credentials_verify_after_key_rotation(issuer, achievement, learner, other_learner):
    before = award_issue(achievement=achievement, learner=learner, issued_by="test")
    issuer_rotate_keys(issuer=issuer)
    after = award_issue(achievement=achievement, learner=other_learner, issued_by="test")
    assert before.credential["proof"][0]["verificationMethod"] != after.credential["proof"][0]["verificationMethod"]
    for award in (before, after):
        for data in (award.credential, award.credential_jwt, award.ob2_assertion_jws):
            assert credential_verify(data=data).verified


def test_status_indexes_are_distinct_and_random(achievement, make_achievement, learner):
    awards = [award_issue(achievement=make_achievement(name=f"B{i}"), learner=learner, issued_by="t")
              for i in range(12)]
    indexes = [a.status_index for a in awards]
    assert len(set(indexes)) == 12
    assert indexes != sorted(indexes) or max(indexes) > 1000  # not sequential from 0


def test_evidence_is_validated(achievement, learner):
    with pytest.raises(ServiceError, match="not an http"):
        award_issue(achievement=achievement, learner=learner, issued_by="t", evidence=[{"id": "javascript:alert(1)"}])
    with pytest.raises(ServiceError, match="unknown"):
        award_issue(achievement=achievement, learner=learner, issued_by="t", evidence=[{"score": "9"}])
    assert Award.objects.count() == 0


def test_lti_identities_travel_as_identity_objects(achievement, learner):
    from lti_tool.models import LearnerIdentity

    LearnerIdentity.objects.create(learner=learner, kind="ltiUserId", scope="https://moodle.example.edu",
                                   value="42", source="lti-launch")
    LearnerIdentity.objects.create(learner=learner, kind="ltiPlatformId", scope="", value="https://moodle.example.edu",
                                   source="lti-launch")
    LearnerIdentity.objects.create(learner=learner, kind="favouriteColour", scope="", value="red", source="x")
    LearnerIdentity.objects.create(learner=learner, kind="nationalIdentityNumber", scope="", value="123-45-6789",
                                   source="x")
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    kinds = {i["identityType"]: i for i in award.credential["credentialSubject"]["identifier"]}
    assert kinds["ltiUserId"]["hashed"] is True and kinds["ltiUserId"]["identityHash"].startswith("sha256$")
    assert kinds["ltiPlatformId"] == {"type": "IdentityObject", "identityHash": "https://moodle.example.edu",
                                      "identityType": "ltiPlatformId", "hashed": False}
    assert "favouriteColour" not in kinds
    assert "nationalIdentityNumber" not in kinds  # only opted-in kinds leave the service
    assert "123-45-6789" not in str(award.credential)
    assert kinds["ltiUserId"]["identityHash"] != "42"


def test_a_reissue_keeps_the_credential_id_with_a_newer_valid_from(achievement, learner):
    from lti_tool.models import FeedEvent
    from lti_tool.services.awards import award_reissue

    award = award_issue(achievement=achievement, learner=learner, issued_by="test",
                        now=timezone.now() - timedelta(days=3))
    again = award_reissue(award=award, reissued_by="registrar", reason="corrected the student id")
    assert again.public_id == award.public_id and again.valid_from > award.valid_from
    assert again.credential["validFrom"] != award.credential["validFrom"]
    assert again.credential["awardedDate"] == award.credential["awardedDate"]
    for data in (again.credential, again.credential_jwt, again.ob2_assertion_jws):
        assert credential_verify(data=data).verified
    event = FeedEvent.objects.get(type="credential.reissued")
    assert event.subject == award.public_id and "corrected the student id" in event.data["reason"]
    award_revoke(award=again, reason="test", revoked_by="test")
    with pytest.raises(ServiceError, match="revoked or superseded"):
        award_reissue(award=again, reissued_by="r", reason="x")
    with pytest.raises(ServiceError, match="needs a reason"):
        award_reissue(award=again, reissued_by="r", reason=" ")
