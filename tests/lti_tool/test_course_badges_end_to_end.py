"""End to end: a Moodle 5.1 emulation with real AGS/NRPS endpoints → sync → a learner crosses the threshold →
the badge is issued, its credential verifies, and the LMS gradebook receives the score."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lti_tool.background import run_due_work
from lti_tool.models import Award, GradebookScore, LtiResourceLink, LtiUser
from lti_tool.services.awards import award_revoke
from lti_tool.services.criteria import achievement_rules_set
from lti_tool.services.lms_sync import lms_sync_request
from lti_tool.services.verification import credential_verify

from .services.criteriakit import course_badge


def drain(seconds_ahead: float = 1.0) -> None:
    """Run background work until nothing is due (what the worker does), a little in the future."""
    from lti_tool.services.criteria import evaluations_run_due
    from lti_tool.services.gradebook import gradebook_scores_run_due
    from lti_tool.services.lms_sync import lms_syncs_run_due
    now = timezone.now() + timedelta(seconds=seconds_ahead)
    for _ in range(10):
        if not (lms_syncs_run_due(now=now) + evaluations_run_due(now=now) + gradebook_scores_run_due(now=now)):
            return
    raise AssertionError("background work did not settle")


def test_moodle_scores_award_badges_that_verify_and_reach_the_gradebook(course, moodle):
    activity = moodle.line_items[0]["id"]  # the recorded activity: Sam 70/100, Ada 30/100
    column = moodle.add_line_item("Data Cleaning badge", 1)  # the column the instructor asked for
    badge = course_badge(course)
    LtiResourceLink.objects.create(deployment=course.deployment, context=course, resource_link_id="1",
                                   achievement=badge, lineitem_url=column)
    achievement_rules_set(achievement=badge, rules={"type": "all", "requirements": [
        {"type": "score", "id": "activity", "item": f"ags:{activity}", "threshold": 60, "unit": "percent"},
        {"type": "member", "id": "enrolled", "role": "learner"}]})
    lms_sync_request(context=course, kind="nrps")  # the roster brings Sam, Ada and Noah
    lms_sync_request(context=course, kind="ags")
    drain()

    sam, ada = LtiUser.objects.get(sub="4"), LtiUser.objects.get(sub="5")
    [sams] = Award.objects.filter(achievement=badge, learner=sam.learner)
    assert sams.source == "rule" and credential_verify(data=sams.credential).verified
    assert not Award.objects.filter(achievement=badge, learner=ada.learner).exists()
    assert moodle.results[column]["4"]["resultScore"] == 1 and "5" not in moodle.results[column]
    assert GradebookScore.objects.get(user=sam).status == "sent"

    moodle.set_result(activity, "5", 85)  # Ada's second attempt, graded in Moodle
    lms_sync_request(context=course, kind="ags")
    drain()
    [adas] = Award.objects.filter(achievement=badge, learner=ada.learner)
    assert credential_verify(data=adas.credential).verified
    assert moodle.results[column]["5"]["resultScore"] == 1

    award_revoke(award=adas, reason="Posted by mistake", revoked_by="tina")  # and the column follows
    drain()
    assert moodle.results[column]["5"]["resultScore"] == 0
    assert list(GradebookScore.objects.filter(user=ada).values_list("status", flat=True)) == ["sent", "sent"]


def test_moodle_refusing_an_older_score_is_not_retried(course, moodle):
    column = moodle.add_line_item("Badge", 1)
    badge = course_badge(course)
    LtiResourceLink.objects.create(deployment=course.deployment, context=course, resource_link_id="1",
                                   achievement=badge, lineitem_url=column)
    moodle.set_result(column, "4", 0, timestamp="2099-01-01T00:00:00+00:00")  # a later score is already there
    lms_sync_request(context=course, kind="nrps")
    drain()
    from lti_tool.services.awards import award_issue
    award_issue(achievement=badge, learner=LtiUser.objects.get(sub="4").learner, issued_by="tina")
    drain()
    score = GradebookScore.objects.get()
    assert score.status == "superseded" and "earlier timestamp" in score.last_error and score.attempts == 1


def test_an_lms_that_is_down_gets_the_score_later(course, moodle):
    column = moodle.add_line_item("Badge", 1)
    badge = course_badge(course)
    LtiResourceLink.objects.create(deployment=course.deployment, context=course, resource_link_id="1",
                                   achievement=badge, lineitem_url=column)
    lms_sync_request(context=course, kind="nrps")
    drain()
    from lti_tool.services.awards import award_issue
    moodle.close()  # the LMS goes away
    award_issue(achievement=badge, learner=LtiUser.objects.get(sub="4").learner, issued_by="tina")
    run_due_work()
    score = GradebookScore.objects.get()
    assert score.status == "pending" and score.last_error and score.next_at > timezone.now()
