"""Reported facts: typed, validated, folded per learner with a deterministic winner."""

from __future__ import annotations

import pytest

from lti_tool.core.criteria.facts import (
    CompletionState,
    FactError,
    FactRecord,
    MemberStatus,
    learner_facts,
    parse_fact,
)

from .criteriakit import at


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("score", {"given": "80"}, "scoreGiven must be a number"),
    ("score", {"given": True}, "scoreGiven must be a number"),
    ("score", {"given": float("inf"), "maximum": 100}, "must be finite"),
    ("score", {"given": -1, "maximum": 100}, "must not be negative"),
    ("score", {"given": 1, "maximum": 0}, "greater than 0"),
    ("score", {"given": 1, "at": "yesterday"}, "not an XSD dateTime"),
    ("score", {"given": 1, "at": "2026-09-01T10:00:00"}, "no time zone"),
    ("activity", {"state": "done"}, "unknown completion state"),
    ("evidence", {"state": "maybe"}, "unknown review state"),
    ("grant", {"by": "tina"}, "role must be a string"),
    ("membership", {"status": "Lurking"}, "unknown member status"),
    ("membership", {"roles": "learner"}, "lists of strings"),
    ("membership", {"groups": [1]}, "must be a string"),
    ("course_grade", [], "must be a JSON object"),
    ("rumour", {}, "unknown fact kind"),
])
def test_malformed_facts_are_refused(kind, value, message):
    with pytest.raises(FactError, match=message):
        parse_fact(kind, value, source="test")


def test_facts_parse_into_their_types():
    assert parse_fact("score", {"given": 7, "maximum": 10, "at": "2026-09-02T09:00:00Z"}, source="ags").percent == 70
    assert parse_fact("activity", {"state": "complete_pass"}, source="moodle").state is CompletionState.COMPLETE_PASS
    membership = parse_fact("membership", {"roles": ["learner"], "groups": ["Lab A"]}, source="nrps")
    assert membership.status is MemberStatus.ACTIVE and membership.groups == {"Lab A"}


def test_the_latest_report_wins_and_keyless_kinds_keep_one():
    facts = learner_facts("ada", [
        FactRecord("score", "q", {"given": 90, "maximum": 100}, at(2), "ags"),
        FactRecord("score", "q", {"given": 40, "maximum": 100}, at(1), "xblock"),
        FactRecord("course_completion", "ignored-key", {"state": "incomplete"}, at(1), "moodle"),
        FactRecord("course_completion", "", {"state": "complete"}, at(3), "moodle"),
        FactRecord("badge", "urn:uuid:b", {"at": "2026-09-01T09:00:00Z"}, at(1), "accolade"),
    ])
    assert facts.scores["q"].given == 90 and facts.scores["q"].source == "ags"
    assert facts.course_completion.state is CompletionState.COMPLETE
    assert set(facts.badges) == {"urn:uuid:b"} and facts.membership is None


def test_a_fact_without_its_own_time_takes_the_observation_time():
    facts = learner_facts("ada", [FactRecord("score", "q", {"given": 1}, at(4), "ags"),
                                  FactRecord("score", "r", {"given": 1, "at": "2026-09-02T09:00:00Z"}, at(4), "ags")])
    assert facts.scores["q"].at == at(4) and facts.scores["r"].at == at(1)
