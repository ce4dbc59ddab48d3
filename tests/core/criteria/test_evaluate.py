"""Evaluation: each requirement kind decides from its fact, groups follow Kleene logic, progress counts."""

from __future__ import annotations

import pytest

from lti_tool.core.criteria.evaluate import Status, compile_criteria, explain
from lti_tool.core.criteria.rules import parse_criteria

from .criteriakit import at, completion, earned, grant, learner, member, review, score

MET, NOT, UNK = Status.MET, Status.NOT_MET, Status.UNKNOWN


def one(requirement: dict):
    return parse_criteria({"type": "all", "requirements": [{"id": "r", **requirement}]})


SCORE_PCT = {"type": "score", "item": "q", "threshold": 80, "unit": "percent"}
SCORE_PTS = {"type": "score", "item": "q", "threshold": 8}
WINDOW = {"not_before": "2026-09-01T00:00:00Z", "not_after": "2026-09-10T00:00:00Z"}


@pytest.mark.parametrize(("requirement", "facts", "status", "reason"), [
    (SCORE_PCT, {}, UNK, "no_fact"),
    (SCORE_PCT, {"scores": {"q": score(None)}}, NOT, "no_score"),
    (SCORE_PCT, {"scores": {"q": score(79.9)}}, NOT, "below_threshold"),
    (SCORE_PCT, {"scores": {"q": score(80)}}, MET, "threshold_reached"),
    (SCORE_PCT, {"scores": {"q": score(8, 10)}}, MET, "threshold_reached"),
    (SCORE_PCT, {"scores": {"q": score(130)}}, MET, "threshold_reached"),  # extra credit above the maximum
    (SCORE_PCT, {"scores": {"q": score(9, None)}}, UNK, "no_maximum"),
    (SCORE_PTS, {"scores": {"q": score(9, None)}}, MET, "threshold_reached"),
    (SCORE_PTS, {"scores": {"q": score(7.99, 10)}}, NOT, "below_threshold"),
    (SCORE_PTS, {"scores": {"other": score(10)}}, UNK, "no_fact"),
    ({**SCORE_PTS, "window": WINDOW}, {"scores": {"q": score(9, day=3)}}, MET, "threshold_reached"),
    ({**SCORE_PTS, "window": WINDOW}, {"scores": {"q": score(9, day=10)}}, NOT, "outside_window"),
    ({**SCORE_PTS, "window": WINDOW}, {"scores": {"q": score(9, day=None)}}, UNK, "no_time"),
    ({**SCORE_PTS, "window": WINDOW}, {"scores": {"q": score(2, day=None)}}, NOT, "below_threshold"),
    ({"type": "course_grade", "threshold": 50, "unit": "percent"}, {"course_grade": score(51)}, MET,
     "threshold_reached"),
    ({"type": "course_grade", "threshold": 50}, {}, UNK, "no_fact"),
    ({"type": "activity", "activity": "a"}, {}, UNK, "no_fact"),
    ({"type": "activity", "activity": "a"}, {"activities": {"a": completion("incomplete")}}, NOT, "incomplete"),
    ({"type": "activity", "activity": "a"}, {"activities": {"a": completion("complete")}}, MET, "completed"),
    ({"type": "activity", "activity": "a"}, {"activities": {"a": completion("complete_fail")}}, MET, "completed"),
    ({"type": "activity", "activity": "a", "outcome": "passed"}, {"activities": {"a": completion("complete_pass")}},
     MET, "passed"),
    ({"type": "activity", "activity": "a", "outcome": "passed"}, {"activities": {"a": completion("complete_fail")}},
     NOT, "not_passed"),
    ({"type": "activity", "activity": "a", "outcome": "passed"}, {"activities": {"a": completion("complete")}},
     NOT, "not_passed"),
    ({"type": "activity", "activity": "a", "outcome": "failed"}, {"activities": {"a": completion("complete_fail")}},
     MET, "failed"),
    ({"type": "activity", "activity": "a", "outcome": "failed"}, {"activities": {"a": completion("complete_pass")}},
     NOT, "not_failed"),
    ({"type": "course_completed"}, {}, UNK, "no_fact"),
    ({"type": "course_completed"}, {"course_completion": completion("complete")}, MET, "completed"),
    ({"type": "course_completed", "window": {"not_after": "2026-09-05T00:00:00Z"}},
     {"course_completion": completion("complete", day=5)}, NOT, "outside_window"),
    ({"type": "badge", "achievement": "b"}, {}, NOT, "not_held"),
    ({"type": "badge", "achievement": "b"}, {"badges": {"b": earned()}}, MET, "held"),
    ({"type": "evidence"}, {}, NOT, "not_submitted"),
    ({"type": "evidence"}, {"evidence": {"r": review("submitted")}}, NOT, "awaiting_review"),
    ({"type": "evidence"}, {"evidence": {"r": review("returned")}}, NOT, "returned"),
    ({"type": "evidence"}, {"evidence": {"r": review("approved")}}, MET, "approved"),
    ({"type": "manual", "roles": ["assessor"]}, {}, NOT, "not_granted"),
    ({"type": "manual", "roles": ["assessor"]}, {"grants": {"r": grant("assessor")}}, MET, "granted"),
    ({"type": "manual", "roles": ["assessor"]}, {"grants": {"r": grant("learner")}}, NOT,
     "granted_by_role_not_permitted"),
    ({"type": "member"}, {}, UNK, "no_fact"),
    ({"type": "member"}, {"membership": member()}, MET, "member"),
    ({"type": "member"}, {"membership": member("Inactive")}, NOT, "not_active_member"),
    ({"type": "member"}, {"membership": member("Deleted")}, NOT, "not_active_member"),
    ({"type": "member", "role": "assessor"}, {"membership": member()}, NOT, "role_missing"),
    ({"type": "member", "group": "Lab A"}, {"membership": member(groups=["Lab B"])}, NOT, "not_in_group"),
    ({"type": "member", "group": "Lab A"}, {"membership": member(groups=["Lab A"])}, MET, "member"),
])
def test_each_requirement_decides_from_its_fact(requirement, facts, status, reason):
    tree = one(requirement)
    outcome = explain(tree, learner(**facts))
    leaf = outcome.children[0]
    assert (leaf.status, leaf.reason) == (status, reason)
    assert outcome.status == status
    assert compile_criteria(tree)(learner(**facts)) == status
    if status == MET:
        assert leaf.fact is not None and leaf.at == leaf.fact.at and (leaf.done, leaf.needed) == (1, 1)
    else:
        assert leaf.at is None and (leaf.done, leaf.needed) == (0, 1)


PATHWAY = parse_criteria({"type": "all", "id": "root", "requirements": [
    {"type": "score", "id": "quiz", "item": "q", "threshold": 80, "unit": "percent"},
    {"type": "at_least", "id": "two", "count": 2, "requirements": [
        {"type": "activity", "id": "a1", "activity": "a1"},
        {"type": "activity", "id": "a2", "activity": "a2"},
        {"type": "activity", "id": "a3", "activity": "a3"}]},
    {"type": "any", "id": "either", "requirements": [
        {"type": "evidence", "id": "essay"}, {"type": "manual", "id": "observed"}]},
]})


def test_progress_reads_k_of_n_and_names_each_fact():
    facts = learner(scores={"q": score(90)}, activities={"a1": completion("complete", day=2),
                                                         "a3": completion("incomplete")})
    outcome = explain(PATHWAY, facts)
    assert outcome.status == NOT
    assert (outcome.done, outcome.needed) == (2, 4)  # quiz + one of two activities + none of either
    assert [(leaf.id, leaf.status, leaf.reason) for leaf in outcome.leaves()] == [
        ("quiz", MET, "threshold_reached"), ("a1", MET, "completed"), ("a2", UNK, "no_fact"),
        ("a3", NOT, "incomplete"), ("essay", NOT, "not_submitted"), ("observed", NOT, "not_granted")]
    two = outcome.children[1]
    assert (two.status, two.reason, two.done, two.needed) == (UNK, "1_of_2", 1, 2)


def test_met_at_is_when_the_last_needed_fact_arrived():
    facts = learner(scores={"q": score(90, day=5)},
                    activities={"a1": completion("complete", day=2), "a2": completion("complete", day=7),
                                "a3": completion("complete", day=4)},
                    grants={"observed": grant(day=9)}, evidence={"essay": review("approved", day=6)})
    outcome = explain(PATHWAY, facts)
    assert outcome.status == MET and (outcome.done, outcome.needed) == (4, 4)
    assert outcome.children[1].at == at(4)  # the second of the three activities, in time
    assert outcome.children[2].at == at(6)  # the earlier of evidence and grant
    assert outcome.at == at(6)
    assert compile_criteria(PATHWAY)(facts) == MET


def test_unknown_settles_nothing_but_a_known_failure_settles_all():
    unknown_quiz = learner(activities={"a1": completion("complete"), "a2": completion("complete")},
                           evidence={"essay": review("approved")})
    assert explain(PATHWAY, unknown_quiz).status == UNK
    failed_quiz = learner(scores={"q": score(10)})
    assert explain(PATHWAY, failed_quiz).status == NOT
    assert compile_criteria(PATHWAY)(unknown_quiz) == UNK
    assert compile_criteria(PATHWAY)(failed_quiz) == NOT
