"""Rules in the course: facts in, awards and revocations out, through the pending-work table."""

from __future__ import annotations

import pytest

from lti_tool.models import Award, PendingEvaluation
from lti_tool.services import criteria
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.criteria import (
    RULES_ACTOR,
    achievement_rules_set,
    evaluations_run_due,
    learner_evaluate,
)
from lti_tool.services.errors import InvalidSpecError
from lti_tool.services.facts import fact_record
from lti_tool.services.verification import credential_verify

from .criteriakit import at, course_badge

QUIZ = "ags:https://moodle.example.edu/mod/lti/services.php/42/lineitems/7/lineitem?type_id=1"
RULES = {"type": "all", "requirements": [
    {"type": "score", "id": "quiz", "item": QUIZ, "threshold": 80, "unit": "percent"},
    {"type": "activity", "id": "lab", "activity": "moodle:cm:9", "outcome": "passed"},
]}


def score(course, learner, given, day, maximum=100):
    fact_record(context=course, learner=learner, kind="score", key=QUIZ, value={"given": given, "maximum": maximum},
                source="ags", observed_at=at(day), now=at(day))


def lab(course, learner, state, day):
    fact_record(context=course, learner=learner, kind="activity", key="moodle:cm:9", value={"state": state},
                source="moodle", observed_at=at(day), now=at(day))


def run(day):
    return evaluations_run_due(now=at(day))


@pytest.fixture
def badge(course):
    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules=RULES, now=at(0))
    run(0)
    return badge


def awards_of(badge, learner):
    return list(Award.objects.filter(achievement=badge, learner=learner).order_by("issued_at"))


def test_crossing_the_threshold_awards_a_credential_that_verifies(course, badge, learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 79, 2)
    assert run(2) == 1 and awards_of(badge, learner) == []
    score(course, learner, 85, 3)
    assert run(3) == 1
    [award] = awards_of(badge, learner)
    assert (award.source, award.issued_by) == ("rule", RULES_ACTOR)
    assert "2 requirements met: quiz, lab" in award.narrative
    assert credential_verify(data=award.credential).verified
    assert run(3) == 0  # nothing left to do
    assert not PendingEvaluation.objects.filter(done_at__isnull=True).exists()


def test_unknown_never_awards(course, badge, learner):
    score(course, learner, 95, 1)  # the lab has not been reported at all
    run(1)
    assert awards_of(badge, learner) == []
    [result] = learner_evaluate(context=course, learner=learner, now=at(1))
    assert result.outcome.status.name == "UNKNOWN" and result.decision.reason == "waiting_on_unknown"


def test_regression_revokes_when_the_badge_says_so_and_meeting_again_re_awards(course, learner):
    badge = course_badge(course, "Strict")
    achievement_rules_set(achievement=badge, rules=RULES, revoke_on_regression=True, now=at(0))
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    score(course, learner, 50, 2)  # regraded
    run(2)
    [first] = awards_of(badge, learner)
    assert first.revoked_at is not None and first.revoked_by == RULES_ACTOR
    assert "not met: quiz" in first.revocation_reason
    score(course, learner, 88, 3)
    run(3)
    _first, second = awards_of(badge, learner)
    assert second.revoked_at is None and second.source == "rule"


def test_regression_keeps_the_award_by_default(course, badge, learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    score(course, learner, 10, 2)
    run(2)
    [award] = awards_of(badge, learner)
    assert award.revoked_at is None


def test_a_person_outranks_the_rules(course, badge, learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    [award] = awards_of(badge, learner)
    award_revoke(award=award, reason="Academic misconduct", revoked_by="tina", now=at(2))
    score(course, learner, 95, 3)
    run(3)
    assert len(awards_of(badge, learner)) == 1  # not re-awarded by the rules


def test_without_retroactive_awards_only_later_qualifications_count(course, learner, other_learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    lab(course, other_learner, "complete_pass", 1)
    badge = course_badge(course, "Forward only")
    achievement_rules_set(achievement=badge, rules=RULES, retroactive=False, now=at(5))
    run(5)  # course-wide request fans out into one per learner
    run(5)
    assert awards_of(badge, learner) == []
    score(course, other_learner, 90, 6)
    run(6)
    assert len(awards_of(badge, other_learner)) == 1


def test_retroactive_activation_awards_those_who_already_qualify(course, learner, other_learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    lab(course, other_learner, "complete_fail", 1)
    score(course, other_learner, 90, 1)
    run(1)
    badge = course_badge(course, "Late badge")
    achievement_rules_set(achievement=badge, rules=RULES, now=at(5))
    run(5)
    run(5)
    assert len(awards_of(badge, learner)) == 1 and awards_of(badge, other_learner) == []


def test_a_stacked_badge_follows_its_prerequisite_in_the_same_pass(course, badge, learner):
    capstone = course_badge(course, "Capstone")
    achievement_rules_set(achievement=capstone, rules={"type": "all", "requirements": [
        {"type": "badge", "achievement": str(badge.uuid)},
        {"type": "course_completed"}]}, now=at(0))
    fact_record(context=course, learner=learner, kind="course_completion", key="", value={"state": "complete"},
                source="moodle", observed_at=at(1), now=at(1))
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    run(1)
    assert len(awards_of(badge, learner)) == 1 and len(awards_of(capstone, learner)) == 1


def test_rules_are_checked_when_set(course, badge):
    other = course_badge(course, "Other")
    with pytest.raises(InvalidSpecError, match="unknown type"):
        achievement_rules_set(achievement=other, rules={"type": "sometimes", "requirements": []})
    with pytest.raises(InvalidSpecError, match="not found here"):
        achievement_rules_set(achievement=other, rules={"type": "badge",
                                                        "achievement": "9b2e7f1c-4a5d-4c3e-8f6a-1b2c3d4e5f60"})
    achievement_rules_set(achievement=other, rules={"type": "badge", "achievement": str(badge.uuid)})
    with pytest.raises(InvalidSpecError, match="cycle"):
        achievement_rules_set(achievement=badge, rules={"type": "badge", "achievement": str(other.uuid)})


def test_a_failing_evaluation_is_kept_and_retried_later(course, badge, learner, monkeypatch):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)

    def broken(**_):
        raise RuntimeError("database went away")
    monkeypatch.setattr(criteria, "learner_evaluate", broken)
    assert run(1) == 1
    job = PendingEvaluation.objects.get(done_at__isnull=True)
    assert "database went away" in job.last_error and job.attempts == 1 and job.not_before > at(1)
    assert run(1) == 0  # backing off
    monkeypatch.undo()
    assert run(2) == 1 and len(awards_of(badge, learner)) == 1


def test_a_claim_left_by_a_dead_worker_is_taken_again_when_its_lease_ends(course, badge, learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    from lti_tool.background import claim_due

    job = claim_due(criteria.evaluations_due(at(1)), now=at(1), lease=criteria.LEASE)  # a worker claims, then dies
    assert job is not None and run(1) == 0
    assert run(1 + criteria.LEASE.total_seconds() / 86400 + 1e-4) == 1
    assert len(awards_of(badge, learner)) == 1


def test_an_award_by_a_person_is_not_duplicated_by_the_rules(course, badge, learner):
    award_issue(achievement=badge, learner=learner, issued_by="tina", now=at(1))
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    assert [a.issued_by for a in awards_of(badge, learner)] == ["tina"]


def test_a_fact_that_arrives_during_an_evaluation_is_evaluated_too(course, badge, learner, monkeypatch):
    lab(course, learner, "complete_pass", 1)
    real = criteria.learner_evaluate

    def evaluate_while_a_score_arrives(**kwargs):
        results = real(**kwargs)  # read the facts before the score landed
        score(course, learner, 90, 1)  # committed by another request meanwhile
        return results
    monkeypatch.setattr(criteria, "learner_evaluate", evaluate_while_a_score_arrives)
    # The first pass missed the score and must not mark the row done: the row runs a second time.
    assert run(1) == 2
    assert len(awards_of(badge, learner)) == 1
    assert not PendingEvaluation.objects.filter(done_at__isnull=True).exists()


def member(course, learner, status, day, source="nrps"):
    fact_record(context=course, learner=learner, kind="membership", key="",
                value={"status": status, "roles": ["learner"], "groups": []}, source=source, observed_at=at(day),
                now=at(day))


def test_a_learner_who_left_the_course_is_not_awarded_until_they_are_back(course, badge, learner):
    member(course, learner, "Active", 1)
    lab(course, learner, "complete_pass", 1)
    member(course, learner, "Deleted", 2)  # unenrolled; the LMS still reports the old score
    score(course, learner, 90, 3)
    run(3)
    assert awards_of(badge, learner) == []
    member(course, learner, "Active", 4, source="lti-launch")  # re-enrolled and launched again
    run(4)
    assert [a.source for a in awards_of(badge, learner)] == ["rule"]


def test_leaving_the_course_takes_no_badge_away(course, badge, learner):
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    member(course, learner, "Inactive", 2)
    run(2)
    assert [a.revoked_at for a in awards_of(badge, learner)] == [None]


def new_version(badge, *, rules=None, activate=True):
    """Put the course badge forward, have it approved, then make and approve version 2 (activated or not)."""
    from lti_tool.services.governance import (
        achievement_activate,
        achievement_approve,
        achievement_request_approval,
        achievement_revise,
        achievement_submit,
    )

    if badge.approved_at is None:
        achievement_request_approval(achievement=badge, actor="t")
        achievement_approve(achievement=badge, registrar="r")  # approved: changed only by a new version
    v2 = achievement_revise(achievement=badge, changes={"description": "Now with the lab report."}, actor="d")
    if rules is not None:
        achievement_rules_set(achievement=v2, rules=rules, revoke_on_regression=v2.revoke_on_regression)
    achievement_submit(achievement=v2, actor="d")
    v2 = achievement_approve(achievement=v2, registrar="r")
    return achievement_activate(achievement=v2, actor="d") if activate else v2


def test_a_new_version_is_not_awarded_again_to_holders_of_the_old_one(course, badge, learner, other_learner):
    """Standing belongs to the credential's lineage: version 2 goes to new earners, not to version 1's holders."""
    from lti_tool.selectors import learner_current_award, learners_facts_load

    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    [first] = awards_of(badge, learner)
    v2 = new_version(badge)
    assert v2.lineage == badge.lineage and v2.criteria_rules == badge.criteria_rules
    score(course, learner, 95, 5)  # a new fact re-evaluates the holder under version 2
    lab(course, other_learner, "complete_pass", 5)
    score(course, other_learner, 88, 5)
    assert run(5) == 2
    assert awards_of(v2, learner) == [] and awards_of(badge, learner) == [first]
    first.refresh_from_db()
    assert first.revoked_at is None and first.is_current
    [newer] = awards_of(v2, other_learner)
    assert newer.source == "rule" and awards_of(badge, other_learner) == []
    # The ORM path (facts handed in) weighs the lineage the same way, and the pages show the held version.
    facts = learners_facts_load(context=course, learners=[learner], now=at(6))[learner.pk]
    [result] = learner_evaluate(context=course, learner=learner, facts=facts, now=at(6))
    assert result.achievement == v2 and result.decision.reason == "already_held" and result.award is None
    assert learner_current_award(learner=learner, achievement=v2) == first


def test_while_a_new_version_waits_for_activation_only_the_active_one_issues(course, badge, learner):
    v2 = new_version(badge, activate=False)
    assert v2.status == "approved"
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 90, 1)
    run(1)
    assert len(awards_of(badge, learner)) == 1 and awards_of(v2, learner) == []


def test_an_earlier_version_is_taken_back_only_by_its_own_rules(course, learner):
    """Version 2 asks 90; a holder of version 1 (asked 80) keeps it at 85 and loses it below 80."""
    v1 = course_badge(course)
    achievement_rules_set(achievement=v1, rules=RULES, revoke_on_regression=True, now=at(0))
    lab(course, learner, "complete_pass", 1)
    score(course, learner, 85, 1)
    run(1)
    [held] = awards_of(v1, learner)
    stricter = {**RULES, "requirements": [{**RULES["requirements"][0], "threshold": 90}, RULES["requirements"][1]]}
    v2 = new_version(v1, rules=stricter)
    assert v2.revoke_on_regression
    score(course, learner, 86, 2)
    run(2)
    held.refresh_from_db()
    assert held.revoked_at is None and awards_of(v2, learner) == []
    score(course, learner, 70, 3)
    run(3)
    held.refresh_from_db()
    assert held.revoked_at is not None and held.revoked_by == RULES_ACTOR and "quiz" in held.revocation_reason


def test_a_prerequisite_is_met_by_any_version_of_the_badge_it_names(course, badge, learner, other_learner):
    advanced = course_badge(course, name="Advanced Cleaning")
    achievement_rules_set(achievement=advanced, rules={"type": "badge", "achievement": str(badge.uuid)}, now=at(0))
    v2 = new_version(badge)  # the prerequisite names version 1
    lab(course, other_learner, "complete_pass", 2)
    score(course, other_learner, 88, 2)
    run(2)
    assert len(awards_of(v2, other_learner)) == 1
    assert len(awards_of(advanced, other_learner)) == 1  # earned in the same run, after its prerequisite
    lab(course, learner, "complete_pass", 3)
    score(course, learner, 88, 3)
    run(3)
    from lti_tool.selectors import learners_facts_load
    facts = learners_facts_load(context=course, learners=[learner])[learner.pk]
    assert {str(badge.uuid), str(v2.uuid), str(advanced.uuid)} <= set(facts.badges)
