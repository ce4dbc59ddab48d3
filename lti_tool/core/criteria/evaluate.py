"""Evaluate criteria for a learner: met / not met / unknown for every node, with the deciding fact.

Three-valued (Kleene) logic: a group is met or not met only when the known children settle it,
otherwise unknown. Unknown never awards and never revokes. Every leaf says why in a reason code
(rendered into words, translated, by the page that shows it) and carries the fact that decided it.

Two paths share the leaf checks: :func:`explain` builds the full :class:`Outcome` tree for a page
or an award's record, and :func:`compile_criteria` returns a function for bulk runs that answers
the status alone, without allocating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import IntEnum
from typing import NamedTuple

from .facts import CompletionState, LearnerFacts, MemberStatus, ReviewState
from .facts import Fact as FactValue
from .rules import (
    ActivityCompleted,
    BadgeEarned,
    CourseCompleted,
    CourseGradeAtLeast,
    EvidenceApproved,
    Group,
    ManualAward,
    MemberOf,
    Node,
    Requirement,
    ScoreAtLeast,
    Window,
)

NOT_MET, MET, UNKNOWN = 0, 1, 2


class Status(IntEnum):
    NOT_MET = NOT_MET
    MET = MET
    UNKNOWN = UNKNOWN


Check = tuple[int, str]
Leaf = Callable[[LearnerFacts], Check]

# Leaf answers: (status, reason code). Constants, so a check allocates nothing.
NO_FACT = (UNKNOWN, "no_fact")
NO_TIME = (UNKNOWN, "no_time")
OUTSIDE_WINDOW = (NOT_MET, "outside_window")
NO_SCORE = (NOT_MET, "no_score")
NO_MAXIMUM = (UNKNOWN, "no_maximum")
BELOW = (NOT_MET, "below_threshold")
REACHED = (MET, "threshold_reached")
INCOMPLETE = (NOT_MET, "incomplete")
COMPLETED = (MET, "completed")
PASSED = (MET, "passed")
FAILED = (MET, "failed")
NOT_PASSED = (NOT_MET, "not_passed")
NOT_FAILED = (NOT_MET, "not_failed")
HELD = (MET, "held")
NOT_HELD = (NOT_MET, "not_held")
NOT_SUBMITTED = (NOT_MET, "not_submitted")
AWAITING_REVIEW = (NOT_MET, "awaiting_review")
RETURNED = (NOT_MET, "returned")
APPROVED = (MET, "approved")
NOT_GRANTED = (NOT_MET, "not_granted")
GRANTED = (MET, "granted")
ROLE_NOT_PERMITTED = (NOT_MET, "granted_by_role_not_permitted")
NOT_ACTIVE = (NOT_MET, "not_active_member")
ROLE_MISSING = (NOT_MET, "role_missing")
NOT_IN_GROUP = (NOT_MET, "not_in_group")
MEMBER = (MET, "member")


def _windowed(check: Check, window: Window | None, at: datetime | None) -> Check:
    if window is None or check[0] != MET:
        return check
    inside = window.holds(at)
    if inside is None:
        return NO_TIME
    return check if inside else OUTSIDE_WINDOW


def _score(score, threshold: float, percent: bool) -> Check:
    given = score.given
    if given is None:
        return NO_SCORE
    if percent:
        maximum = score.maximum
        if not maximum:
            return NO_MAXIMUM
        return REACHED if given * 100.0 >= threshold * maximum else BELOW
    return REACHED if given >= threshold else BELOW


_COMPLETION_CHECKS = {
    "completed": {CompletionState.INCOMPLETE: INCOMPLETE, CompletionState.COMPLETE: COMPLETED,
                  CompletionState.COMPLETE_PASS: COMPLETED, CompletionState.COMPLETE_FAIL: COMPLETED},
    "passed": {CompletionState.INCOMPLETE: INCOMPLETE, CompletionState.COMPLETE: NOT_PASSED,
               CompletionState.COMPLETE_PASS: PASSED, CompletionState.COMPLETE_FAIL: NOT_PASSED},
    "failed": {CompletionState.INCOMPLETE: INCOMPLETE, CompletionState.COMPLETE: NOT_FAILED,
               CompletionState.COMPLETE_PASS: NOT_FAILED, CompletionState.COMPLETE_FAIL: FAILED},
}
_REVIEW_CHECKS = {ReviewState.SUBMITTED: AWAITING_REVIEW, ReviewState.RETURNED: RETURNED,
                  ReviewState.APPROVED: APPROVED}


def leaf_check(requirement: Requirement) -> Leaf:
    """Return the function that checks one requirement against a learner's facts."""
    window = getattr(requirement, "window", None)
    match requirement:
        case ScoreAtLeast(item=item, threshold=threshold, percent=percent):
            def check(facts: LearnerFacts) -> Check:
                score = facts.scores.get(item)
                if score is None:
                    return NO_FACT
                return _windowed(_score(score, threshold, percent), window, score.at)
        case CourseGradeAtLeast(threshold=threshold, percent=percent):
            def check(facts: LearnerFacts) -> Check:
                score = facts.course_grade
                if score is None:
                    return NO_FACT
                return _windowed(_score(score, threshold, percent), window, score.at)
        case ActivityCompleted(activity=activity, outcome=outcome):
            table = _COMPLETION_CHECKS[outcome]

            def check(facts: LearnerFacts) -> Check:
                completion = facts.activities.get(activity)
                if completion is None:
                    return NO_FACT
                return _windowed(table[completion.state], window, completion.at)
        case CourseCompleted():
            table = _COMPLETION_CHECKS["completed"]

            def check(facts: LearnerFacts) -> Check:
                completion = facts.course_completion
                if completion is None:
                    return NO_FACT
                return _windowed(table[completion.state], window, completion.at)
        case BadgeEarned(achievement=achievement):
            def check(facts: LearnerFacts) -> Check:
                earned = facts.badges.get(achievement)
                if earned is None:  # the tool knows every award it made: absent means not held
                    return NOT_HELD
                return _windowed(HELD, window, earned.at)
        case EvidenceApproved(id=key):
            def check(facts: LearnerFacts) -> Check:
                review = facts.evidence.get(key)
                if review is None:
                    return NOT_SUBMITTED
                return _windowed(_REVIEW_CHECKS[review.state], window, review.at)
        case ManualAward(id=key, roles=roles):
            def check(facts: LearnerFacts) -> Check:
                grant = facts.grants.get(key)
                if grant is None:
                    return NOT_GRANTED
                return _windowed(GRANTED if grant.role in roles else ROLE_NOT_PERMITTED, window, grant.at)
        case MemberOf(role=role, group=group):
            def check(facts: LearnerFacts) -> Check:
                membership = facts.membership
                if membership is None:
                    return NO_FACT
                if membership.status is not MemberStatus.ACTIVE:
                    return NOT_ACTIVE
                if role is not None and role not in membership.roles:
                    return ROLE_MISSING
                if group is not None and group not in membership.groups:
                    return NOT_IN_GROUP
                return MEMBER
        case _:
            raise TypeError(f"not a requirement: {requirement!r}")
    return check


def deciding_fact(requirement: Requirement, facts: LearnerFacts) -> FactValue | None:
    """Return the fact a requirement's check reads for this learner (None when there is none)."""
    match requirement:
        case ScoreAtLeast(item=item):
            return facts.scores.get(item)
        case CourseGradeAtLeast():
            return facts.course_grade
        case ActivityCompleted(activity=activity):
            return facts.activities.get(activity)
        case CourseCompleted():
            return facts.course_completion
        case BadgeEarned(achievement=achievement):
            return facts.badges.get(achievement)
        case EvidenceApproved(id=key):
            return facts.evidence.get(key)
        case ManualAward(id=key):
            return facts.grants.get(key)
        case MemberOf():
            return facts.membership
    return None


# -- the explaining path -------------------------------------------------------------------------

class Outcome(NamedTuple):
    """One node's result for one learner (immutable; a named tuple because bulk runs build millions).

    ``done`` of ``needed`` is progress in requirements ("3 of 5"); ``at`` is when the node became
    met (the deciding facts' times; None when not met or a deciding fact has no time).
    """

    id: str
    status: Status
    reason: str
    done: int
    needed: int
    at: datetime | None = None
    fact: FactValue | None = None
    requirement: Requirement | None = None
    children: tuple[Outcome, ...] = ()
    group: Group | None = None

    @property
    def met(self) -> bool:
        return self.status is Status.MET

    def leaves(self) -> list[Outcome]:
        """Return the requirements' outcomes in order."""
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


_STATUS = (Status.NOT_MET, Status.MET, Status.UNKNOWN)
Explain = Callable[[LearnerFacts], Outcome]


class Explainer:
    """A criteria tree compiled once into functions that explain one learner each."""

    def __init__(self, tree: Node) -> None:
        self.tree = tree
        self._root = _explaining(tree)

    def __call__(self, facts: LearnerFacts) -> Outcome:
        return self._root(facts)


def _explaining(node: Node) -> Explain:
    if not isinstance(node, Group):
        check, node_id = leaf_check(node), node.id
        fact_of = _fact_getter(node)

        def leaf(facts: LearnerFacts) -> Outcome:
            status, reason = check(facts)
            fact = fact_of(facts)
            if status == MET:
                return Outcome(node_id, Status.MET, reason, 1, 1, getattr(fact, "at", None), fact, node)
            return Outcome(node_id, _STATUS[status], reason, 0, 1, None, fact, node)
        return leaf
    parts = tuple(_explaining(child) for child in node.children)
    needed, every, group_id, group_node = node.needed, node.mode == "all", node.id, node

    def group(facts: LearnerFacts) -> Outcome:
        children = tuple(part(facts) for part in parts)
        met = unknown = 0
        for child in children:
            if child.status == MET:
                met += 1
            elif child.status == UNKNOWN:
                unknown += 1
        status = MET if met >= needed else UNKNOWN if met + unknown >= needed else NOT_MET
        if every:
            chosen: Iterable[Outcome] = children
        else:  # progress toward the children closest to done
            chosen = sorted(children, key=_closest)[:needed]
        done = total = 0
        for child in chosen:
            done += child.done
            total += child.needed
        if status != MET:
            return Outcome(group_id, _STATUS[status], f"{met}_of_{needed}", done, total, None, None, None, children,
                           group_node)
        return Outcome(group_id, Status.MET, "met", done, total, _met_at(needed, every, children), None, None,
                       children, group_node)
    return group


def _closest(outcome: Outcome) -> tuple[bool, float, int]:
    return outcome.status != MET, -outcome.done / outcome.needed, outcome.needed


def _met_at(needed: int, every: bool, children: tuple[Outcome, ...]) -> datetime | None:
    times = [child.at for child in children if child.status == MET]
    if every:
        return None if None in times else max(times)
    known = sorted(t for t in times if t is not None)
    return known[needed - 1] if len(known) >= needed else None


def _fact_getter(requirement: Requirement) -> Callable[[LearnerFacts], FactValue | None]:
    """Return :func:`deciding_fact` for one requirement, with the kind decided once."""
    match requirement:
        case ScoreAtLeast(item=key):
            return lambda facts: facts.scores.get(key)
        case ActivityCompleted(activity=key):
            return lambda facts: facts.activities.get(key)
        case BadgeEarned(achievement=key):
            return lambda facts: facts.badges.get(key)
        case EvidenceApproved(id=key):
            return lambda facts: facts.evidence.get(key)
        case ManualAward(id=key):
            return lambda facts: facts.grants.get(key)
    return lambda facts: deciding_fact(requirement, facts)


def explain(tree: Node, facts: LearnerFacts) -> Outcome:
    """Evaluate ``tree`` for one learner with every node's reason and deciding fact."""
    return Explainer(tree)(facts)


# -- the bulk path -------------------------------------------------------------------------------

def compile_criteria(tree: Node) -> Callable[[LearnerFacts], int]:
    """Return ``status(facts)`` for the tree: the same answer as ``explain(tree, facts).status``."""
    if not isinstance(tree, Group):
        check = leaf_check(tree)
        return lambda facts: check(facts)[0]
    parts = tuple(compile_criteria(child) for child in tree.children)
    if tree.mode == "all":
        def status(facts: LearnerFacts) -> int:
            unknown = False
            for part in parts:
                result = part(facts)
                if result == NOT_MET:
                    return NOT_MET
                if result == UNKNOWN:
                    unknown = True
            return UNKNOWN if unknown else MET
        return status
    needed = tree.needed

    def status_of_some(facts: LearnerFacts) -> int:
        met = unknown = 0
        for part in parts:
            result = part(facts)
            if result == MET:
                met += 1
                if met >= needed:
                    return MET
            elif result == UNKNOWN:
                unknown += 1
        return UNKNOWN if met + unknown >= needed else NOT_MET
    return status_of_some
