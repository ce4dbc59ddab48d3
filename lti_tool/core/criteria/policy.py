"""What to do with a learner's award once the criteria have been evaluated.

Per badge: award once or re-earnable (after expiry); on regression keep the award or revoke it
with a reason (Open edX Credentials' "penalties"); award retroactively when a badge is activated
after learners already qualify, or only for qualifications after activation. A person's decision
outranks a rule: rules never revoke what a person awarded, nor re-award what a person revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .evaluate import MET, NOT_MET


class Standing(StrEnum):
    """The learner's award for this badge, as the service's records say."""

    NONE = "none"
    ACTIVE_BY_RULE = "active_by_rule"
    ACTIVE_BY_PERSON = "active_by_person"
    REVOKED_BY_RULE = "revoked_by_rule"
    REVOKED_BY_PERSON = "revoked_by_person"
    EXPIRED = "expired"


class Action(StrEnum):
    AWARD = "award"
    REVOKE = "revoke"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class AwardPolicy:
    re_earnable: bool = False
    revoke_on_regression: bool = False
    retroactive: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str


def decide(policy: AwardPolicy, status: int, standing: Standing, *, met_at: datetime | None,
           activated_at: datetime | None, left_course: bool = False) -> Decision:
    """Return award, revoke or nothing for one learner, with the reason code.

    ``status`` is the root's evaluation (met / not met / unknown); unknown changes nothing.
    ``met_at`` is when the criteria became met (:attr:`Outcome.at`), ``activated_at`` when the
    badge became active; without retroactive awards a learner qualifies only after activation.
    ``left_course``: the roster says the learner is no longer active in the course (NRPS 2.0 §2.3
    ``Inactive`` or ``Deleted``); rules award nobody who has left, and take nothing away for leaving.
    """
    if status == MET and left_course and standing not in (Standing.ACTIVE_BY_RULE, Standing.ACTIVE_BY_PERSON):
        return Decision(Action.NONE, "left_course")
    if status == MET:
        if standing in (Standing.ACTIVE_BY_RULE, Standing.ACTIVE_BY_PERSON):
            return Decision(Action.NONE, "already_held")
        if standing is Standing.REVOKED_BY_PERSON:
            return Decision(Action.NONE, "revoked_by_person")
        if standing is Standing.EXPIRED:
            if policy.re_earnable:
                return Decision(Action.AWARD, "earned_again")
            return Decision(Action.NONE, "expired_not_re_earnable")
        if standing is Standing.REVOKED_BY_RULE:
            return Decision(Action.AWARD, "met_again")
        if not policy.retroactive and activated_at is not None and (met_at is None or met_at < activated_at):
            return Decision(Action.NONE, "qualified_before_activation")
        return Decision(Action.AWARD, "criteria_met")
    if status == NOT_MET and standing is Standing.ACTIVE_BY_RULE and policy.revoke_on_regression:
        return Decision(Action.REVOKE, "criteria_no_longer_met")
    return Decision(Action.NONE, "unchanged" if status == NOT_MET else "waiting_on_unknown")
