"""Recording facts: latest per source wins, repeats and stale reports change nothing, bad facts keep nothing."""

from __future__ import annotations

import pytest

from lti_tool.models import CourseFact, PendingEvaluation
from lti_tool.selectors import learner_facts_load
from lti_tool.services.facts import FactRejectedError, fact_record

from .criteriakit import at

ITEM = "https://moodle.example.edu/mod/lti/services.php/42/lineitems/7/lineitem?type_id=1"


def record(course, learner, value, day, source="ags", kind="score", key=ITEM):
    return fact_record(context=course, learner=learner, kind=kind, key=key, value=value, source=source,
                       observed_at=at(day), now=at(30))


def test_a_new_fact_is_kept_and_queues_the_learner(course, learner):
    result = record(course, learner, {"given": 7, "maximum": 10}, 1)
    assert (result.changed, result.outcome) == (True, "created")
    assert PendingEvaluation.objects.filter(context=course, learner=learner, done_at__isnull=True).count() == 1
    facts = learner_facts_load(context=course, learner=learner, now=at(30))
    assert facts.scores[ITEM].percent == 70


def test_repeats_and_older_reports_change_nothing(course, learner):
    record(course, learner, {"given": 7, "maximum": 10}, 2)
    PendingEvaluation.objects.update(done_at=at(30))
    assert record(course, learner, {"given": 7, "maximum": 10}, 2).outcome == "duplicate"
    assert record(course, learner, {"given": 3, "maximum": 10}, 1).outcome == "stale"  # arrived late
    assert not PendingEvaluation.objects.filter(done_at__isnull=True).exists()
    assert CourseFact.objects.get().value == {"given": 7, "maximum": 10}
    assert record(course, learner, {"given": 9, "maximum": 10}, 3).outcome == "updated"
    assert CourseFact.objects.get().value["given"] == 9
    assert PendingEvaluation.objects.filter(done_at__isnull=True).count() == 1


def test_one_waiting_request_absorbs_many_facts(course, learner):
    for day in range(1, 6):
        record(course, learner, {"given": day, "maximum": 10}, day)
    assert PendingEvaluation.objects.filter(learner=learner, done_at__isnull=True).count() == 1


def test_sources_are_kept_apart_and_the_latest_wins_when_read(course, learner):
    record(course, learner, {"given": 9, "maximum": 10}, 2, source="ags")
    record(course, learner, {"given": 4, "maximum": 10}, 1, source="xblock")
    assert CourseFact.objects.count() == 2
    assert learner_facts_load(context=course, learner=learner, now=at(30)).scores[ITEM].given == 9


@pytest.mark.parametrize(("kind", "key", "value", "day", "message"), [
    ("rumour", "k", {}, 1, "unknown fact kind"),
    ("score", "", {"given": 1}, 1, "needs a key"),
    ("score", "x" * 1001, {"given": 1}, 1, "needs a key"),
    ("score", ITEM, {"given": "ten"}, 1, "scoreGiven must be a number"),
    ("score", ITEM, {"given": -3, "maximum": 10}, 1, "must not be negative"),
    ("score", ITEM, {"given": 1, "maximum": 0}, 1, "greater than 0"),
    ("score", ITEM, {"given": 1, "pad": "x" * 5000}, 1, "under 4096 bytes"),
    ("score", ITEM, ["given", 1], 1, "must be a JSON object"),
    ("activity", "cm:1", {"state": "finished"}, 1, "unknown completion state"),
    ("score", ITEM, {"given": 1}, 30.01, "in the future"),  # 15 minutes ahead of our clock
])
def test_bad_facts_are_refused_and_nothing_is_kept(course, learner, kind, key, value, day, message):
    with pytest.raises(FactRejectedError, match=message):
        record(course, learner, value, day, kind=kind, key=key)
    assert not CourseFact.objects.exists() and not PendingEvaluation.objects.exists()


def test_a_small_clock_skew_is_accepted(course, learner):
    assert record(course, learner, {"given": 1, "maximum": 2}, 30.002).changed  # 3 minutes ahead


def test_keyless_kinds_ignore_the_key(course, learner):
    record(course, learner, {"state": "complete"}, 1, kind="course_completion", key="anything")
    record(course, learner, {"state": "complete"}, 1, kind="course_completion", key="")
    assert CourseFact.objects.get().key == ""
