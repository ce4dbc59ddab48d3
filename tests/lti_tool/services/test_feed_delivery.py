"""Delivering the registrar feed to a real receiving server: order, retries, dead letters, replay, parking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lti_tool.models import FeedDelivery, FeedEndpoint, FeedEvent, LearnerIdentity
from lti_tool.services.achievements import achievement_create_in_course, achievement_define
from lti_tool.services.api_clients import api_client_create
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.errors import ServiceError
from lti_tool.services.expiry import awards_expiry_sweep
from lti_tool.services.feed_delivery import feed_ack, feed_deliveries_run_due, feed_replay
from lti_tool.services.feed_endpoints import (
    feed_endpoint_create,
    feed_endpoint_enable,
    feed_endpoint_rotate_secret,
)
from lti_tool.services.feed_pull import registrar_client_create
from lti_tool.services.issuers import issuer_create
from lti_tool.services.learners import learner_find_or_create

from ..feed_receiver import Receiver, Reply

SCHEDULE = (1.0, 2.0, 4.0)


@pytest.fixture
def feed_settings(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True, "FEED_TIMEOUT": 1.0,
                         "FEED_RETRY_SCHEDULE": SCHEDULE}
    return settings


@pytest.fixture
def receiver(feed_settings):
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(issuer, receiver):
    endpoint, secret = feed_endpoint_create(issuer=issuer, name="Banner integration", url=receiver.url)
    receiver.secret = secret
    return endpoint


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def delivery(award, endpoint):
    return FeedDelivery.objects.get(event__award=award, endpoint=endpoint)


def test_an_award_reaches_the_receiver_signed_with_only_the_allowed_identifiers(achievement, learner, endpoint,
                                                                               receiver):
    award = award_issue(achievement=achievement, learner=learner, issued_by="Prof. Ito", source="instructor")
    assert feed_deliveries_run_due() == 1
    [got] = receiver.received
    assert got.verified is True and got.headers["Content-Type"].startswith("application/cloudevents+json")
    event = got.event
    assert event["type"] == "credential.awarded" and event["subject"] == award.public_id
    assert event["data"]["learner"]["identifiers"] == [
        {"type": "sisSourcedId", "value": "S123", "scope": "", "source": "test"}]
    assert "ana@example.edu" not in got.body.decode() and "Ana Student" not in got.body.decode()
    done = delivery(award, endpoint)
    assert (done.status, done.attempts, done.disclosed) == ("delivered", 1, ["sisSourcedId"])
    assert feed_deliveries_run_due() == 0


def test_failures_are_retried_on_the_schedule_honouring_retry_after(achievement, learner, endpoint, receiver):
    receiver.script(Reply(500), Reply(429, {"Retry-After": "30"}))
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    first = delivery(award, endpoint)
    assert (first.status, first.last_status, first.attempts) == ("pending", 500, 1)
    assert feed_deliveries_run_due() == 0, "not due before its retry time"
    feed_deliveries_run_due(now=later(1.5))
    throttled = delivery(award, endpoint)
    assert throttled.last_status == 429 and throttled.next_at >= later(25)
    feed_deliveries_run_due(now=later(40))
    assert delivery(award, endpoint).status == "delivered"
    assert len(receiver.received) == 3 and receiver.event_ids() == [str(first.event.uuid)]


def test_an_earlier_event_of_a_learner_goes_first(achievement, make_achievement, learner, endpoint, receiver):
    other_learner = learner_find_or_create(email="ben@example.edu", sis_id="S456", source="test")
    receiver.script(Reply(503))
    first = award_issue(achievement=achievement, learner=learner, issued_by="t")
    second = award_issue(achievement=make_achievement(name="Second"), learner=learner, issued_by="t")
    other = award_issue(achievement=make_achievement(name="Third"), learner=other_learner, issued_by="t")
    feed_deliveries_run_due()
    assert delivery(first, endpoint).status == "pending"
    assert delivery(second, endpoint).status == "pending" and delivery(second, endpoint).attempts == 0
    assert delivery(other, endpoint).status == "delivered", "another learner's events are not held up"
    feed_deliveries_run_due(now=later(5))
    order = [item.event["subject"] for item in receiver.received if item.event["data"]["learner"]["id"]
             == learner.subject_id]
    assert order == [first.public_id, first.public_id, second.public_id]


@pytest.mark.parametrize("fault", ["timeout", "drop", "down", "redirect"])
def test_a_receiver_that_times_out_drops_or_is_down_gets_the_event_later(achievement, learner, endpoint, receiver,
                                                                         fault):
    if fault == "timeout":
        receiver.script(Reply(200, delay=1.5))  # answers after the sender gave up: counts as a failure
    elif fault == "drop":
        receiver.script(Reply(drop=True))
    elif fault == "redirect":
        receiver.script(Reply(302, {"Location": "http://127.0.0.1:9/elsewhere"}))
    else:
        receiver.stop()
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    failed = delivery(award, endpoint)
    assert failed.status == "pending" and failed.last_error and failed.next_at > timezone.now()
    assert FeedEndpoint.objects.get(pk=endpoint.pk).failing_since is not None
    if fault == "down":
        receiver.start()
    feed_deliveries_run_due(now=later(2))
    assert delivery(award, endpoint).status == "delivered"
    assert receiver.event_ids() == [str(failed.event.uuid)]
    assert FeedEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_after_the_schedule_a_delivery_is_dead_and_can_be_replayed(achievement, learner, endpoint, receiver):
    receiver.script(*[Reply(500)] * 4)
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    for seconds in (0, 2, 5, 10):
        feed_deliveries_run_due(now=later(seconds))
    dead = delivery(award, endpoint)
    assert (dead.status, dead.attempts) == ("dead", 4)
    assert feed_replay(endpoint=endpoint, first=dead.position) == 1
    feed_deliveries_run_due()
    assert delivery(award, endpoint).status == "delivered" and len(receiver.event_ids()) == 1


def test_410_switches_the_endpoint_off_and_nothing_is_lost(achievement, learner, endpoint, receiver):
    receiver.script(Reply(410))
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    award_revoke(award=award, reason="error in grading", revoked_by="r")
    assert feed_deliveries_run_due(now=later(60)) == 0
    feed_endpoint_enable(endpoint=endpoint)
    feed_deliveries_run_due()
    assert [r.event["type"] for r in receiver.received] == ["credential.awarded", "credential.awarded",
                                                            "credential.revoked"]


def test_an_endpoint_failing_for_long_is_switched_off(achievement, learner, endpoint, receiver, feed_settings):
    feed_settings.ACCOLADE = {**feed_settings.ACCOLADE, "FEED_DISABLE_AFTER": 60}
    receiver.script(*[Reply(500)] * 3)
    award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    feed_deliveries_run_due(now=later(2))  # failing, but not for long
    assert FeedEndpoint.objects.get(pk=endpoint.pk).enabled
    FeedEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(minutes=5))
    feed_deliveries_run_due(now=later(10))
    assert "failing since" in FeedEndpoint.objects.get(pk=endpoint.pk).disabled_reason


def test_course_badges_outside_the_catalog_stay_in_the_lms(course, learner, endpoint, receiver):
    badge = achievement_create_in_course(deployment=course.deployment, context=course, name="Lab Safety",
                                         description="d", criteria="c")
    award_issue(achievement=badge, learner=learner, issued_by="t")
    assert FeedDelivery.objects.count() == 0 and feed_deliveries_run_due() == 0


def test_an_unmatched_learner_is_parked_until_the_sis_id_is_linked(achievement, endpoint, receiver):
    from lti_tool.services.learners import learner_sis_id_link

    learner = learner_find_or_create(email="new@example.edu", name="New Student", source="test")
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    assert delivery(award, endpoint).status == "parked" and feed_deliveries_run_due() == 0
    learner_sis_id_link(learner=learner, sis_id="S999", by="Rita Registrar")
    feed_deliveries_run_due()
    kinds = [r.event["type"] for r in receiver.received]
    assert kinds == ["credential.awarded", "learner.identity_linked"]
    assert receiver.received[0].event["data"]["learner"]["identifiers"][0]["value"] == "S999"
    assert LearnerIdentity.objects.get(learner=learner, kind="sisSourcedId").source == "registrar:Rita Registrar"


def test_a_sis_id_already_held_by_another_learner_is_a_conflict(achievement, learner):
    from lti_tool.services.learners import learner_sis_id_link

    other = learner_find_or_create(email="other@example.edu", source="test")
    with pytest.raises(ServiceError, match="already belongs"):
        learner_sis_id_link(learner=other, sis_id="S123", by="r")


def test_student_ids_belong_to_one_institution(achievement, endpoint, receiver):
    """The same number at two colleges is two ids; one college's id neither leaves by nor matches for the other."""
    from lti_tool.services.feed_events import learner_summary
    from lti_tool.services.learners import learner_sis_id_link, sis_scope
    from tests.lti_tool.conftest import BASIC_SPEC

    college = issuer_create(name="Hill College", url="https://hill.example.edu", email="r@hill.example.edu")
    hill_badge = achievement_define(issuer=college, spec=BASIC_SPEC)
    hill_feed, _secret = feed_endpoint_create(issuer=college, name="Hill SIS", url=receiver.url)
    ana = learner_find_or_create(email="ana.b@example.edu", name="Ana B", source="test")
    ben = learner_find_or_create(email="ben.b@example.edu", name="Ben B", source="test")
    ours = award_issue(achievement=achievement, learner=ana, issued_by="t")
    theirs = award_issue(achievement=hill_badge, learner=ana, issued_by="t")
    assert delivery(ours, endpoint).status == "parked" and delivery(theirs, hill_feed).status == "parked"

    learner_sis_id_link(learner=ana, sis_id="S42", by="Rita", issuer=achievement.issuer)
    learner_sis_id_link(learner=ben, sis_id="S42", by="Hal", issuer=college)  # Hill's S42 is someone else
    assert delivery(ours, endpoint).status == "pending"
    assert delivery(theirs, hill_feed).status == "parked"  # Hill still cannot match Ana
    ours_summary = learner_summary(ana, issuer=achievement.issuer)
    assert [(i["value"], i["scope"]) for i in ours_summary["identifiers"] if i["type"] == "sisSourcedId"] == [
        ("S42", sis_scope(achievement.issuer))]
    hill_summary = learner_summary(ana, issuer=college)
    assert hill_summary["matchStatus"] == "unmatched" and "S42" not in str(hill_summary["identifiers"])
    assert [e.issuer_id for e in FeedEvent.objects.filter(type="learner.identity_linked")] == [achievement.issuer_id]
    with pytest.raises(ServiceError, match="already belongs"):
        learner_sis_id_link(learner=ana, sis_id="S42", by="Hal", issuer=college)


def test_another_colleges_lms_id_neither_matches_nor_leaves(course, achievement, receiver):
    """Ana launched at Example University's Moodle (LMS id A55); Hill College awards her by email."""
    from lti_tool.models import LtiUser
    from lti_tool.registrar_report import identifier_conflicts
    from lti_tool.services.feed_events import learner_summary
    from lti_tool.services.learners import learner_identity_linked, learner_sis_id_link
    from tests.lti_tool.conftest import BASIC_SPEC

    ana = learner_find_or_create(email="ana.c@example.edu", name="Ana C", source="test")
    LtiUser.objects.create(platform=course.deployment.registration.platform, sub="u-ana", learner=ana,
                           lis_person_sourcedid="A55")
    college = issuer_create(name="Hill College", url="https://hill.example.edu", email="r@hill.example.edu")
    hill_feed, _secret = feed_endpoint_create(issuer=college, name="Hill SIS", url=receiver.url)
    theirs = award_issue(achievement=achievement_define(issuer=college, spec=BASIC_SPEC), learner=ana,
                         issued_by="t")
    assert learner_summary(ana, issuer=achievement.issuer)["matchStatus"] == "matched"
    assert learner_summary(ana, issuer=college)["matchStatus"] == "unmatched"
    assert "A55" not in str(learner_summary(ana, issuer=college))
    assert delivery(theirs, hill_feed).status == "parked"
    assert learner_identity_linked(learner=ana, by="lms:moodle", now=timezone.now()) == 0  # a launch at A
    assert delivery(theirs, hill_feed).status == "parked"
    assert not FeedEvent.objects.filter(type="learner.identity_linked").exists()

    learner_sis_id_link(learner=ana, sis_id="H77", by="Hal", issuer=college)
    assert delivery(theirs, hill_feed).status == "pending"
    assert identifier_conflicts(issuer=college) == []  # A's LMS id is no business of Hill's
    again = award_issue(achievement=achievement_define(issuer=college, spec={**BASIC_SPEC, "name": "Second"}),
                        learner=ana, issued_by="t")
    assert len(again.credential["credentialSubject"]["identifier"]) == 2  # email and H77 (hashed)
    ours = award_issue(achievement=achievement, learner=ana, issued_by="t")
    assert len(ours.credential["credentialSubject"]["identifier"]) == 1  # email only: H77 is Hill's
    [linked] = FeedEvent.objects.filter(type="learner.identity_linked")
    assert linked.issuer_id == college.pk  # Example University, already matching Ana, hears nothing of it


def test_an_unscoped_student_id_clashes_everywhere(issuer, learner, other_learner):
    """``learner`` holds S123 with no scope (counts for every college); nobody else may take it."""
    from lti_tool.services.learners import learner_sis_id_link

    with pytest.raises(ServiceError, match="already belongs to another learner; resolve"):
        learner_sis_id_link(learner=other_learner, sis_id="S123", by="r", issuer=issuer)
    learner_sis_id_link(learner=learner, sis_id="S123", by="r", issuer=issuer)  # theirs already: no clash
    college = issuer_create(name="Hill College", url="https://hill.example.edu", email="r@hill.example.edu")
    learner_sis_id_link(learner=other_learner, sis_id="S9", by="r", issuer=college)
    with pytest.raises(ServiceError, match="already belongs"):
        learner_sis_id_link(learner=learner, sis_id="S9", by="r")  # an unscoped id would clash at Hill


def test_expiry_is_found_by_the_sweep_once(make_achievement, learner, endpoint, receiver):
    badge = make_achievement(name="CPR", valid_for_days=1)
    award_issue(achievement=badge, learner=learner, issued_by="t", now=timezone.now() - timedelta(days=2))
    assert awards_expiry_sweep() == 1 and awards_expiry_sweep() == 0
    feed_deliveries_run_due()
    assert [r.event["type"] for r in receiver.received] == ["credential.awarded", "credential.expired"]
    assert receiver.received[1].event["data"]["credential"]["status"] == "expired"


def test_rotating_the_secret_signs_with_both_until_the_old_one_expires(achievement, learner, endpoint, receiver):
    old = receiver.secret
    new = feed_endpoint_rotate_secret(endpoint=endpoint)
    award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    signature = receiver.received[0].headers["webhook-signature"]
    assert len(signature.split(" ")) == 2
    receiver.secret = new
    assert receiver._verify(receiver.received[0].body, receiver.received[0].headers)
    receiver.secret = old
    assert receiver._verify(receiver.received[0].body, receiver.received[0].headers)


def test_acknowledgements_record_the_sis_record_id(achievement, learner, endpoint, receiver):
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    event_id = receiver.event_ids()[0]
    sis = api_client_create(issuer=achievement.issuer, name="Banner", scopes=["registrar:feed"]).client
    assert feed_ack(client=sis, event_id=event_id, sis_record_id="BANNER-77", status="recorded") == 1
    acked = delivery(award, endpoint)
    assert acked.sis_record_id == "BANNER-77" and acked.ack_status == "recorded" and acked.acknowledged_at


def test_a_client_acknowledges_only_for_the_destinations_it_answers_for(achievement, learner, endpoint, receiver):
    """Another SIS's pull feed, and a webhook that names another client, are not marked by this one's ack."""
    banner, _feed = registrar_client_create(issuer=achievement.issuer, name="Banner")
    colleague, colleague_feed = registrar_client_create(issuer=achievement.issuer, name="Colleague")
    named, _secret = feed_endpoint_create(issuer=achievement.issuer, name="Colleague hook", url=receiver.url,
                                          settings={"ack_client_id": str(colleague.client.client_id)})
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    event_id = str(FeedEvent.objects.get(award=award).uuid)
    assert feed_ack(client=banner.client, event_id=event_id, status="recorded") == 2  # its feed and the plain hook
    assert delivery(award, endpoint).acknowledged_at is not None
    assert delivery(award, colleague_feed).acknowledged_at is None and delivery(award, named).acknowledged_at is None
    assert feed_ack(client=colleague.client, event_id=event_id, sis_record_id="C-9") == 3
    assert delivery(award, named).sis_record_id == "C-9"
    outsider = api_client_create(issuer=issuer_create(name="Elsewhere", url="https://elsewhere.example.edu",
                                                      email="r@elsewhere.example.edu"), name="X").client
    assert feed_ack(client=outsider, event_id=event_id) == 0


def test_an_ack_for_an_event_that_went_only_to_others_is_refused(achievement, learner, receiver):
    banner, _feed = registrar_client_create(issuer=achievement.issuer, name="Banner")
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")  # before Colleague exists
    colleague, _colleague_feed = registrar_client_create(issuer=achievement.issuer, name="Colleague")
    event_id = str(FeedEvent.objects.get(award=award).uuid)
    with pytest.raises(ServiceError, match="no destination this client answers for"):
        feed_ack(client=colleague.client, event_id=event_id)
    assert feed_ack(client=banner.client, event_id=event_id) == 1
    blank, _secret = feed_endpoint_create(issuer=achievement.issuer, name="Blank", url=receiver.url,
                                          settings={"ack_client_id": ""})
    assert "ack_client_id" not in blank.settings  # an empty name would leave it unacknowledgeable


def test_a_private_address_is_refused_unless_allowed(issuer, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": False}
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.5/hook", "ftp://sis.example.edu/x",
                "http://user:pw@sis.example.edu/x"):
        with pytest.raises(ServiceError, match="cannot send to"):
            feed_endpoint_create(issuer=issuer, name="SIS", url=url)


def test_a_student_id_from_a_file_also_releases_parked_events(achievement, endpoint, receiver):
    from lti_tool.services.learners import learner_sis_id_link

    learner = learner_find_or_create(email="late@example.edu", name="Late Match", source="test")
    award_issue(achievement=achievement, learner=learner, issued_by="t")
    learner_find_or_create(email="late@example.edu", sis_id="S555", source="csv")  # the bulk file knows it
    assert not FeedDelivery.objects.filter(status="parked").exists()
    learner_sis_id_link(learner=learner, sis_id="S555", by="r")  # typing it again changes nothing
    feed_deliveries_run_due()
    assert [r.event["type"] for r in receiver.received] == ["credential.awarded", "learner.identity_linked"]


def test_sending_dead_ones_again_keeps_the_learners_order_and_leaves_the_rest(achievement, learner, endpoint,
                                                                            receiver):
    from lti_tool.services.feed_delivery import feed_replay_dead

    other = learner_find_or_create(email="ok@example.edu", sis_id="S900", source="test")
    award_issue(achievement=achievement, learner=other, issued_by="t")
    feed_deliveries_run_due()  # the other learner's award is delivered first
    receiver.script(*[Reply(500)] * 4)
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    for seconds in (0, 2, 5, 10):
        feed_deliveries_run_due(now=later(seconds))
    assert delivery(award, endpoint).status == "dead"
    award_revoke(award=award, reason="error", revoked_by="r")
    feed_deliveries_run_due(now=later(20))  # the revocation goes out: a dead event does not hold it back
    assert feed_replay_dead(endpoint=endpoint) == 2, "the dead award and the revocation after it"
    feed_deliveries_run_due(now=later(30))
    sent = [r.event["type"] for r in receiver.received if r.event["data"]["learner"]["id"] == learner.subject_id]
    assert sent[-2:] == ["credential.awarded", "credential.revoked"], sent
    assert [r.event["data"]["learner"]["id"] for r in receiver.received].count(other.subject_id) == 1


def test_replay_refuses_endpoints_that_are_not_pushed_to(issuer, endpoint):
    from lti_tool.services.feed_pull import registrar_client_create

    _client, pull = registrar_client_create(issuer=issuer, name="Pull")
    with pytest.raises(ServiceError, match="only webhook and OneRoster"):
        feed_replay(endpoint=pull, first=1)
