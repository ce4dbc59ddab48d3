"""Say a badge's criteria and a learner's progress in words, translated when the page is rendered.

The core gives reason codes and facts (:mod:`lti_tool.core.criteria.evaluate`); this turns them into
sentences for the badge page. Line items are named by the labels the last AGS read found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .core.criteria.evaluate import Outcome, Status
from .core.criteria.rules import (
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
)


@dataclass(frozen=True)
class ProgressLine:
    """One requirement as the page shows it: what it asks, where the learner stands, a CSS state."""

    text: str
    standing: str
    state: str  # "met", "not-met", "unknown"
    depth: int = 0
    group: bool = False


def _number(value: float) -> str:
    return f"{value:g}"


def requirement_text(requirement: Requirement, *, labels: Mapping[str, str], badges: Mapping[str, str]) -> str:
    """Return what a requirement asks, e.g. "Score at least 80% on Quiz 1"."""
    match requirement:
        case ScoreAtLeast(item=item, threshold=threshold, percent=percent):
            name = labels.get(item) or _("a graded item")
            amount = f"{_number(threshold)}%" if percent else _("%(points)s points") % {"points": _number(threshold)}
            return _("Score at least %(amount)s on %(item)s") % {"amount": amount, "item": name}
        case CourseGradeAtLeast(threshold=threshold, percent=percent):
            amount = f"{_number(threshold)}%" if percent else _("%(points)s points") % {"points": _number(threshold)}
            return _("Reach a course grade of at least %(amount)s") % {"amount": amount}
        case ActivityCompleted(activity=activity, outcome=outcome):
            name = labels.get(activity) or _("an activity")
            if outcome == "passed":
                return _("Complete %(activity)s with a passing grade") % {"activity": name}
            if outcome == "failed":
                return _("Complete %(activity)s (recorded as not passed)") % {"activity": name}
            return _("Complete %(activity)s") % {"activity": name}
        case CourseCompleted():
            return _("Complete the course")
        case BadgeEarned(achievement=achievement):
            return _("Hold the badge %(badge)s") % {"badge": badges.get(achievement, _("(another badge)"))}
        case EvidenceApproved(prompt=prompt):
            return prompt or _("Submit evidence that an assessor approves")
        case ManualAward():
            return _("Signed off by your instructor or an assessor")
        case MemberOf(role=role, group=group):
            if group:
                return _("Be a member of the group %(group)s") % {"group": group}
            return _("Be enrolled in the course") if not role else _("Take part as %(role)s") % {"role": role}
    return str(requirement.id)


_STANDING = {
    "no_fact": lambda o: _("nothing recorded yet"),
    "no_time": lambda o: _("done, but without a date to check"),
    "outside_window": lambda o: _("done outside the dates allowed"),
    "no_score": lambda o: _("no score yet"),
    "no_maximum": lambda o: _("scored, but the maximum is unknown"),
    "incomplete": lambda o: _("not completed yet"),
    "completed": lambda o: _("completed"),
    "passed": lambda o: _("passed"),
    "failed": lambda o: _("completed, not passed"),
    "not_passed": lambda o: _("completed, not passed yet"),
    "not_failed": lambda o: _("not recorded as failed"),
    "held": lambda o: _("held"),
    "not_held": lambda o: _("not held yet"),
    "not_submitted": lambda o: _("no evidence submitted yet"),
    "awaiting_review": lambda o: _("submitted, waiting for review"),
    "returned": lambda o: _("returned for changes"),
    "approved": lambda o: _("approved"),
    "not_granted": lambda o: _("not signed off yet"),
    "granted": lambda o: _("signed off"),
    "granted_by_role_not_permitted": lambda o: _("signed off by someone who may not award it"),
    "not_active_member": lambda o: _("not an active member"),
    "role_missing": lambda o: _("not in that role"),
    "not_in_group": lambda o: _("not in that group"),
    "member": lambda o: _("yes"),
}


def standing_text(outcome: Outcome) -> str:
    """Return where the learner stands on one requirement, with the score when there is one."""
    fact = outcome.fact
    given = getattr(fact, "given", None)
    if outcome.reason in ("threshold_reached", "below_threshold") and given is not None:
        percent = fact.percent
        shown = f"{_number(round(percent, 1))}%" if isinstance(outcome.requirement, ScoreAtLeast | CourseGradeAtLeast) \
            and outcome.requirement.percent and percent is not None else _number(given)
        return (_("your score: %(score)s") if outcome.reason == "threshold_reached"
                else _("your score so far: %(score)s")) % {"score": shown}
    describe = _STANDING.get(outcome.reason)
    return describe(outcome) if describe else outcome.reason


def criteria_outline(tree: Node, *, labels: Mapping[str, str], badges: Mapping[str, str]) -> list[ProgressLine]:
    """Return a badge's criteria as lines (groups as headings, requirements indented under them)."""
    lines: list[ProgressLine] = []

    def walk(node: Node, depth: int) -> None:
        if not isinstance(node, Group):
            lines.append(ProgressLine(requirement_text(node, labels=labels, badges=badges), "", "", depth))
            return
        lines.append(ProgressLine(_group_heading(node), "", "", depth, group=True))
        for child in node.children:
            walk(child, depth + 1)

    for child in tree.children if isinstance(tree, Group) and tree.mode == "all" else (tree,):
        walk(child, 0)
    return lines


def _group_heading(group: Group) -> str:
    if group.mode == "all":
        return _("All of these")
    if group.mode == "any":
        return _("Any one of these")
    return _("At least %(count)s of these") % {"count": group.needed}


def progress_lines(outcome: Outcome, *, labels: Mapping[str, str], badges: Mapping[str, str]) -> list[ProgressLine]:
    """Return the lines of a learner's explained criteria: the root's children, groups as headings."""
    lines: list[ProgressLine] = []

    def walk(node: Outcome, depth: int) -> None:
        state = _STATES[node.status]
        if node.requirement is not None:
            lines.append(ProgressLine(requirement_text(node.requirement, labels=labels, badges=badges),
                                      standing_text(node), state, depth))
            return
        heading = _group_heading(node.group) if node.group is not None else _("All of these")
        lines.append(ProgressLine(heading, _("%(done)s of %(needed)s done") % {"done": node.done,
                                                                               "needed": node.needed},
                                  state, depth, group=True))
        for child in node.children:
            walk(child, depth + 1)

    for child in outcome.children or (outcome,):
        walk(child, 0)
    return lines


_STATES = {Status.MET: "met", Status.NOT_MET: "not-met", Status.UNKNOWN: "unknown"}
