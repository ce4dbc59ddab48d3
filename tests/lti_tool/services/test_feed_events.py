"""The registrar feed's outbox: every award and revocation writes its event in the same transaction."""

import pytest

from lti_tool.models import Award, FeedEvent
from lti_tool.services import awards as awards_service
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.errors import NotIssuableError, ServiceError
from lti_tool.services.feed_events import feed_event_record


def test_an_award_writes_one_awarded_event_with_a_snapshot(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="Prof. Ito", source="instructor")
    event = FeedEvent.objects.get()
    assert (event.type, event.position, event.subject) == ("credential.awarded", 1, award.public_id)
    assert (event.award, event.learner, event.achievement, event.issuer) == (award, learner, achievement,
                                                                                achievement.issuer)
    data = event.data
    assert data["credential"]["id"] == award.public_id and data["credential"]["status"] == "active"
    assert data["achievement"]["name"] == achievement.name
    assert data["awardedBy"] == {"kind": "instructor", "by": "Prof. Ito"}
    kinds = {i["type"]: i["value"] for i in data["learner"]["identifiers"]}
    assert kinds["emailAddress"] == "ana@example.edu" and data["learner"]["matchStatus"] == "matched"


def test_a_revocation_writes_the_next_event_with_its_reason(achievement, learner):
    award = award_issue(achievement=achievement, learner=learner, issued_by="test")
    award_revoke(award=award, reason="academic misconduct", revoked_by="registrar")
    first, second = FeedEvent.objects.order_by("position")
    assert (first.position, second.position) == (1, 2)
    assert second.type == "credential.revoked" and second.data["reason"] == "academic misconduct"
    assert second.data["credential"]["status"] == "revoked"
    assert first.data["credential"]["status"] == "active", "an event keeps the snapshot of its own time"


def test_a_refused_award_writes_no_event(achievement, learner):
    award_issue(achievement=achievement, learner=learner, issued_by="test")
    with pytest.raises(NotIssuableError):
        award_issue(achievement=achievement, learner=learner, issued_by="test")
    assert FeedEvent.objects.count() == 1


def test_if_the_event_cannot_be_written_the_award_is_not_written_either(achievement, learner, monkeypatch):
    def fail(**_):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(awards_service, "award_event_record", fail)
    with pytest.raises(RuntimeError):
        award_issue(achievement=achievement, learner=learner, issued_by="test")
    assert Award.objects.count() == 0 and FeedEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(achievement):
    with pytest.raises(ServiceError, match="transaction of its change"):
        feed_event_record(type="achievement.approved", issuer=achievement.issuer, subject=achievement.public_id,
                          data={}, occurred_at=achievement.created_at)


def test_positions_count_per_issuer(achievement, learner):
    from lti_tool.services.achievements import achievement_define
    from lti_tool.services.issuers import issuer_create

    from ..conftest import BASIC_SPEC

    other_issuer = issuer_create(name="Other College", url="https://other.example.edu", email="b@other.example.edu")
    other = achievement_define(issuer=other_issuer, spec={**BASIC_SPEC, "name": "Elsewhere"})
    award_issue(achievement=achievement, learner=learner, issued_by="test")
    award_issue(achievement=other, learner=learner, issued_by="test")
    positions = sorted(FeedEvent.objects.values_list("issuer__name", "position"))
    assert positions == [(achievement.issuer.name, 1), ("Other College", 1)]


def test_a_bulk_issue_writes_its_events_at_the_end_in_order(achievement):
    from lti_tool.services.bulk import award_bulk_issue, bulk_rows_parse

    report = bulk_rows_parse(text="email,student_id\na@example.edu,A1\nb@example.edu,B2\n", achievement=achievement)
    award_bulk_issue(achievement=achievement, report=report, issued_by="registrar")
    events = list(FeedEvent.objects.order_by("position"))
    assert [e.award for e in events] == report.issued and [e.position for e in events] == [1, 2]


def test_a_failed_bulk_issue_leaves_no_event(achievement, learner):
    from lti_tool.services.bulk import award_bulk_issue, bulk_rows_parse

    report = bulk_rows_parse(text="email\nnew@example.edu\nana@example.edu\n", achievement=achievement)
    award_issue(achievement=achievement, learner=learner, issued_by="t")  # ana holds it by the time it runs
    with pytest.raises(ServiceError, match="line 3"):
        award_bulk_issue(achievement=achievement, report=report, issued_by="registrar")
    assert FeedEvent.objects.count() == 1 and Award.objects.count() == 1
