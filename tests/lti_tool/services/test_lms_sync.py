"""Reading AGS results and the NRPS roster from a Moodle 5.1 emulation over HTTP (recorded payloads and quirks)."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from lti_tool.lti import advantage as adv
from lti_tool.models import CourseFact, CourseSync, LtiMembership, LtiUser, PendingEvaluation
from lti_tool.services.learners import learner_find_or_create
from lti_tool.services.lms_sync import lms_sync_on_launch, lms_sync_request, lms_syncs_run_due


def launched(course, sub, name):
    learner = learner_find_or_create(email=f"{sub}@example.org", name=name, source="test")
    return LtiUser.objects.create(platform=course.deployment.registration.platform, sub=sub, learner=learner)


def sync(course, kind):
    lms_sync_request(context=course, kind=kind)
    assert lms_syncs_run_due(now=timezone.now() + timedelta(seconds=1)) == 1
    return CourseSync.objects.get(context=course, kind=kind)


def score_of(course, user, item_id):
    fact = CourseFact.objects.get(context=course, learner=user.learner, kind="score", key=f"ags:{item_id}")
    return fact.value


def test_ags_results_become_score_facts(course, moodle):
    sam, ada = launched(course, "4", "Sam Student"), launched(course, "5", "Ada Learner")
    done = sync(course, "ags")
    assert done.last_error == "" and done.last_success_at is not None
    [item] = moodle.line_items
    assert score_of(course, sam, item["id"]) == {"given": 70, "maximum": 100, "at": "2026-11-23T13:53:24+00:00"}
    assert score_of(course, ada, item["id"])["given"] == 30
    assert done.summary["results"] == 2 and done.summary["recorded"] == 2
    assert done.summary["items"][0]["label"] == "Harness LTI activity"
    assert PendingEvaluation.objects.filter(learner=sam.learner, done_at__isnull=True).exists()
    # The tool authenticated with a client assertion Moodle could check, and never paged results.
    assert moodle.assertions and moodle.assertions[0]["aud"] == moodle.token_url
    assert not any("limit" in path for method, path in moodle.requests if "/results" in path)
    assert any(path.startswith("/mod/lti/services.php/2/lineitems/2/lineitem/results?type_id=1")
               for _, path in moodle.requests)


def test_a_second_read_of_the_same_results_changes_nothing(course, moodle):
    launched(course, "4", "Sam Student")
    sync(course, "ags")
    PendingEvaluation.objects.update(done_at=timezone.now())
    again = sync(course, "ags")
    assert again.summary["recorded"] == 0 and again.summary["unchanged"] == 1
    assert not PendingEvaluation.objects.filter(done_at__isnull=True).exists()


def test_line_items_are_read_across_moodle_pages(course, moodle):
    sam = launched(course, "4", "Sam Student")
    moodle.page_size = 1  # Moodle's Link header: typographic quotes as raw UTF-8, &amp;, a "last" past the end
    extra = moodle.add_line_item("Quiz 2", 10)
    third = moodle.add_line_item("Quiz 3", 20)
    moodle.set_result(extra, "4", 9)
    moodle.set_result(third, "4", 15)
    done = sync(course, "ags")
    assert done.summary["line_items"] == 3, done.last_error
    assert score_of(course, sam, extra) ["given"] == 9 and score_of(course, sam, third)["maximum"] == 20


def test_odd_and_hostile_results(course, moodle):
    sam, ada, noah = launched(course, "4", "Sam"), launched(course, "5", "Ada"), launched(course, "6", "Noah")
    item = moodle.add_line_item("Bonus", 10)
    moodle.set_result(item, "4", 12)  # above the maximum: extra credit, kept
    moodle.set_result(item, "5", None)  # Moodle's pending score: {id, userId} only
    moodle.set_result(item, "6", 5, timestamp="2099-01-01T00:00:00+00:00")  # a clock far ahead: taken as now
    moodle.results[item]["99"] = {"id": "x", "userId": "99", "resultScore": 3}  # never launched, not on roster
    moodle.results[item]["7"] = {"id": "y", "userId": "4", "resultScore": -4, "resultMaximum": 10}
    moodle.results[item]["8"] = {"id": "z", "userId": "5", "resultScore": "ten", "resultMaximum": 10}
    done = sync(course, "ags")
    assert score_of(course, sam, item)["given"] == 12
    assert score_of(course, ada, item)["given"] is None
    assert score_of(course, noah, item)["at"] < "2099"
    assert done.summary["unmatched"] == 1 and done.summary["rejected"] == 2


def test_a_revoked_token_is_replaced_once(course, moodle):
    launched(course, "4", "Sam")
    sync(course, "ags")
    moodle.revoke_tokens()  # the platform forgot the cached token
    again = sync(course, "ags")
    assert again.last_error == "" and len(moodle.assertions) == 2


def test_a_platform_that_refuses_is_retried_later_and_keeps_nothing_half_done(course, moodle):
    course.ags_scopes = [adv.AGS_LINEITEM]  # result.readonly not granted
    course.save()
    lms_sync_request(context=course, kind="ags")
    now = timezone.now() + timedelta(seconds=1)
    assert lms_syncs_run_due(now=now) == 1
    failed = CourseSync.objects.get(context=course, kind="ags")
    assert "result.readonly" in failed.last_error and failed.next_at > now and failed.last_success_at is None
    assert lms_syncs_run_due(now=now) == 0  # backing off


def test_the_roster_records_users_roles_and_who_left(course, moodle):
    done = sync(course, "nrps")
    assert done.summary["members"] == 4 and done.summary["mode"] == "full"
    noah = LtiUser.objects.get(sub="6")
    assert noah.name == "Noah Newcomer" and noah.claims["email"]["source"] == "nrps" and noah.last_launch_at is None
    tina = LtiMembership.objects.get(context=course, user__sub="3")
    assert tina.roles == ["assessor", "instructor"] and tina.source == "nrps"
    fact = CourseFact.objects.get(context=course, learner=noah.learner, kind="membership")
    assert fact.value == {"status": "Active", "roles": ["learner"], "groups": []}
    moodle.remove_member("6")  # Noah unenrolled
    left = sync(course, "nrps")
    assert left.summary["left"] == 1
    assert CourseFact.objects.get(context=course, learner=noah.learner, kind="membership").value["status"] == "Deleted"
    assert LtiMembership.objects.get(context=course, user=noah).status == "deleted"


def test_the_roster_is_read_across_pages(course, moodle):
    moodle.page_size = 1
    assert sync(course, "nrps").summary["members"] == 4


def test_differences_are_used_between_full_reads(course, moodle):
    moodle.differences = True
    first = sync(course, "nrps")
    assert first.differences_url.startswith(moodle.memberships_url + "?since=")
    moodle.roster_changes = [{"user_id": "6", "status": "Inactive", "roles": ["Learner"], "name": "Noah Newcomer"}]
    second = sync(course, "nrps")
    assert second.summary["mode"] == "differences" and second.summary["members"] == 1 and second.summary["left"] == 0
    noah = LtiUser.objects.get(sub="6")
    assert CourseFact.objects.get(context=course, learner=noah.learner, kind="membership").value["status"] == "Inactive"
    assert LtiMembership.objects.filter(context=course).count() == 4  # nobody else marked as left


def test_a_launch_plans_reads_without_calling_the_lms(course, moodle):
    lms_sync_on_launch(context=course, services_changed=True)
    assert set(CourseSync.objects.filter(context=course).values_list("kind", flat=True)) == {"ags", "nrps"}
    assert moodle.requests == []
    CourseSync.objects.update(last_success_at=timezone.now(), next_at=timezone.now() + timedelta(hours=6))
    lms_sync_on_launch(context=course, services_changed=False)  # fresh: nothing brought forward
    assert not CourseSync.objects.filter(next_at__lte=timezone.now()).exists()
    CourseSync.objects.update(last_success_at=timezone.now() - timedelta(hours=1))
    lms_sync_on_launch(context=course, services_changed=False)  # looked less than a minute ago: no query
    assert not CourseSync.objects.filter(next_at__lte=timezone.now()).exists()
    cache.clear()  # a minute later
    lms_sync_on_launch(context=course, services_changed=False)  # stale: due now
    assert CourseSync.objects.filter(next_at__lte=timezone.now()).count() == 2



def test_a_roster_that_never_ends_is_not_taken_as_complete(course, moodle, monkeypatch):
    sync(course, "nrps")
    moodle.page_size = 1
    monkeypatch.setattr(adv, "MAX_PAGES", 2)  # 4 members, 1 per page: the read stops short
    lms_sync_request(context=course, kind="nrps")
    assert lms_syncs_run_due(now=timezone.now() + timedelta(seconds=1)) == 1
    failed = CourseSync.objects.get(context=course, kind="nrps")
    assert "did not end after 2 pages" in failed.last_error
    assert not LtiMembership.objects.filter(context=course, status="deleted").exists()


def test_the_token_never_follows_a_link_to_another_site(course, moodle):
    launched(course, "4", "Sam")
    foreign = "https://elsewhere.example/steal?type_id=1"
    moodle.line_items.append({"id": foreign, "label": "Elsewhere", "scoreMaximum": 10})
    moodle.results[foreign] = {}
    done = sync(course, "ags")
    assert done.summary["rejected"] == 1 and done.summary["line_items"] == 1  # the foreign item is not read
