"""Shared builders for the criteria tests: a fixed clock and learners' facts by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from lti_tool.core.criteria.facts import (
    Completion,
    CompletionState,
    Earned,
    Grant,
    LearnerFacts,
    Membership,
    MemberStatus,
    Review,
    ReviewState,
    Score,
)

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def learner(name: str = "ada", *, scores=None, activities=None, course_completion=None, course_grade=None,
            badges=None, evidence=None, grants=None, membership=None) -> LearnerFacts:
    return LearnerFacts(
        learner=name,
        scores=MappingProxyType(dict(scores or {})),
        activities=MappingProxyType(dict(activities or {})),
        course_completion=course_completion, course_grade=course_grade,
        badges=MappingProxyType(dict(badges or {})),
        evidence=MappingProxyType(dict(evidence or {})),
        grants=MappingProxyType(dict(grants or {})),
        membership=membership,
    )


def score(given, maximum=100, day=1, source="ags"):
    return Score(given, maximum, at(day) if day is not None else None, source)


def completion(state, day=1, source="moodle"):
    return Completion(CompletionState(state), at(day) if day is not None else None, source)


def earned(day=1):
    return Earned(at(day), "accolade")


def review(state, day=1):
    return Review(ReviewState(state), at(day), "accolade", "tina")


def grant(role="instructor", day=1):
    return Grant(role, "tina", at(day), "accolade")


def member(status="Active", roles=("learner",), groups=(), day=0):
    return Membership(MemberStatus(status), frozenset(roles), frozenset(groups), at(day), "nrps")
