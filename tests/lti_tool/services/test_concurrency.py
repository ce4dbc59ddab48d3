"""Races between requests: run on SQLite and PostgreSQL (``.ci/run`` does both)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from lti_tool.models import Award, Learner, LearnerIdentity
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.errors import NotIssuableError
from lti_tool.services.learners import learner_find_or_create

pytestmark = pytest.mark.django_db(transaction=True)


def race(count, work):
    barrier = threading.Barrier(count)
    outcomes, errors = [], []

    def run(index):
        try:
            barrier.wait()
            outcomes.append(work(index))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes, errors


@pytest.mark.parametrize("trial", range(5))
def test_two_issues_to_the_same_new_email_make_one_learner_and_one_award(achievement, trial):
    email = f"race{trial}@example.edu"

    def issue(_):
        learner = learner_find_or_create(email=email, source="test")
        return award_issue(achievement=achievement, learner=learner, issued_by="test").uuid

    issued, errors = race(2, issue)
    assert len(issued) == 1, (issued, errors)
    assert [type(e) for e in errors] == [NotIssuableError], errors
    assert LearnerIdentity.objects.filter(kind="emailAddress", value=email).count() == 1
    assert Learner.objects.filter(identities__value=email).count() == 1
    assert Award.objects.filter(achievement=achievement, learner__identities__value=email, is_current=True).count() == 1


def test_concurrent_revocations_all_reach_the_status_list(achievement):
    from lti_tool.core.openbadges.status_list import Bitstring

    awards = [award_issue(achievement=achievement, issued_by="test",
                          learner=learner_find_or_create(email=f"r{i}@example.edu", source="test")) for i in range(6)]
    _, errors = race(6, lambda i: award_revoke(award=awards[i], reason="test", revoked_by="test"))
    assert errors == []
    status_list = awards[0].status_list
    status_list.refresh_from_db()
    published = Bitstring.decode(status_list.credential["credentialSubject"]["encodedList"])
    assert all(published.get(award.status_index) for award in awards)


def test_feed_positions_follow_commit_order(achievement):
    """A reader that has seen position N must never later find a committed event below N."""
    import time

    from lti_tool.models import FeedEvent
    from lti_tool.services.feed_events import feed_event_record

    first_recorded, first_committed = threading.Event(), threading.Event()
    seen = {}

    def first():
        try:
            with transaction.atomic():
                seen["first"] = feed_event_record(type="achievement.approved", issuer=achievement.issuer,
                                                  subject="a", data={}, occurred_at=achievement.created_at).position
                first_recorded.set()
                time.sleep(0.5)  # the second writer is waiting on the counter meanwhile
            first_committed.set()
        finally:
            connection.close()

    def second():
        try:
            first_recorded.wait(10)
            with transaction.atomic():
                event = feed_event_record(type="achievement.retired", issuer=achievement.issuer, subject="b",
                                          data={}, occurred_at=achievement.created_at)
                seen["second"] = event.position
                seen["second_after_commit"] = first_committed.is_set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert (seen["first"], seen["second"]) == (1, 2)
    assert seen["second_after_commit"], "the second event drew its position before the first committed"
    assert list(FeedEvent.objects.order_by("position").values_list("subject", flat=True)) == ["a", "b"]


def test_concurrent_awards_get_gapless_unique_feed_positions(achievement):
    from lti_tool.models import FeedEvent

    learners = [learner_find_or_create(email=f"f{i}@example.edu", source="test") for i in range(6)]
    _, errors = race(6, lambda i: award_issue(achievement=achievement, learner=learners[i], issued_by="test"))
    assert errors == []
    assert sorted(FeedEvent.objects.values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("trial", range(3))
def test_two_first_sends_of_the_same_evidence_store_one(course, learner, trial):
    from lti_tool.models import EvidenceSubmission
    from lti_tool.services.criteria import achievement_rules_set
    from lti_tool.services.evidence import EvidenceRefusedError, evidence_submit

    from .criteriakit import course_badge

    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules={"type": "evidence", "id": "work", "prompt": "Show it"})
    sent, errors = race(2, lambda i: evidence_submit(achievement=badge, requirement_id="work", context=course,
                                                     learner=learner, text=f"attempt {i}"))
    assert len(sent) == 1 and [type(e) for e in errors] == [EvidenceRefusedError], errors
    assert EvidenceSubmission.objects.filter(achievement=badge, learner=learner).count() == 1


def test_two_runners_never_claim_the_same_feed_delivery(achievement, settings):
    from django.utils import timezone

    from lti_tool.models import FeedDelivery
    from lti_tool.services import feed_delivery
    from lti_tool.services.feed_endpoints import feed_endpoint_create

    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    feed_endpoint_create(issuer=achievement.issuer, name="SIS", url="http://127.0.0.1:9/hook")
    for n in range(12):
        award_issue(achievement=achievement, issued_by="test",
                    learner=learner_find_or_create(email=f"c{n}@example.edu", sis_id=f"C{n}", source="test"))
    for _trial in range(5):
        FeedDelivery.objects.update(claimed_until=None, claim_token="", attempts=0)
        now = timezone.now()
        claimed, errors = race(4, lambda _, at=now: feed_delivery._claim_batch(at, 6, timedelta(minutes=2))[1])
        assert errors == []
        taken = [d.pk for batch in claimed for d in batch]
        assert len(taken) == len(set(taken)) == 12, taken
        assert set(FeedDelivery.objects.values_list("attempts", flat=True)) == {1}
