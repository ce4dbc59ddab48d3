"""Award policy: once or re-earnable, keep or revoke on regression, retroactive or not, people first."""

from __future__ import annotations

import pytest

from lti_tool.core.criteria.evaluate import MET, NOT_MET, UNKNOWN
from lti_tool.core.criteria.policy import Action, AwardPolicy, Standing, decide

from .criteriakit import at

ONCE = AwardPolicy()
RE_EARNABLE = AwardPolicy(re_earnable=True)
STRICT = AwardPolicy(revoke_on_regression=True)
FORWARD = AwardPolicy(retroactive=False)


@pytest.mark.parametrize(("policy", "status", "standing", "met_at", "action", "reason"), [
    (ONCE, MET, Standing.NONE, at(1), Action.AWARD, "criteria_met"),
    (ONCE, MET, Standing.ACTIVE_BY_RULE, at(1), Action.NONE, "already_held"),
    (ONCE, MET, Standing.ACTIVE_BY_PERSON, at(1), Action.NONE, "already_held"),
    (ONCE, MET, Standing.REVOKED_BY_PERSON, at(1), Action.NONE, "revoked_by_person"),
    (ONCE, MET, Standing.REVOKED_BY_RULE, at(1), Action.AWARD, "met_again"),
    (ONCE, MET, Standing.EXPIRED, at(1), Action.NONE, "expired_not_re_earnable"),
    (RE_EARNABLE, MET, Standing.EXPIRED, at(1), Action.AWARD, "earned_again"),
    (ONCE, NOT_MET, Standing.ACTIVE_BY_RULE, None, Action.NONE, "unchanged"),
    (STRICT, NOT_MET, Standing.ACTIVE_BY_RULE, None, Action.REVOKE, "criteria_no_longer_met"),
    (STRICT, NOT_MET, Standing.ACTIVE_BY_PERSON, None, Action.NONE, "unchanged"),
    (STRICT, UNKNOWN, Standing.ACTIVE_BY_RULE, None, Action.NONE, "waiting_on_unknown"),
    (ONCE, UNKNOWN, Standing.NONE, None, Action.NONE, "waiting_on_unknown"),
    (FORWARD, MET, Standing.NONE, at(-1), Action.NONE, "qualified_before_activation"),
    (FORWARD, MET, Standing.NONE, None, Action.NONE, "qualified_before_activation"),
    (FORWARD, MET, Standing.NONE, at(1), Action.AWARD, "criteria_met"),
    (ONCE, MET, Standing.NONE, at(-1), Action.AWARD, "criteria_met"),
])
def test_decisions(policy, status, standing, met_at, action, reason):
    decision = decide(policy, status, standing, met_at=met_at, activated_at=at(0))
    assert (decision.action, decision.reason) == (action, reason)


@pytest.mark.parametrize(("policy", "status", "standing", "action", "reason"), [
    (ONCE, MET, Standing.NONE, Action.NONE, "left_course"),
    (RE_EARNABLE, MET, Standing.EXPIRED, Action.NONE, "left_course"),
    (ONCE, MET, Standing.REVOKED_BY_RULE, Action.NONE, "left_course"),
    (ONCE, MET, Standing.ACTIVE_BY_RULE, Action.NONE, "already_held"),  # leaving takes nothing away
    (STRICT, NOT_MET, Standing.ACTIVE_BY_RULE, Action.REVOKE, "criteria_no_longer_met"),
])
def test_learners_who_left_the_course_are_not_awarded(policy, status, standing, action, reason):
    decision = decide(policy, status, standing, met_at=at(1), activated_at=at(0), left_course=True)
    assert (decision.action, decision.reason) == (action, reason)
