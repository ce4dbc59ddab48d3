"""Facts about one learner in one course, as the criteria engine reads them.

A fact is something an LMS or a person said, with when and through which source: a score on a line
item (LTI AGS 2.0 Result, §3.3 of https://www.imsglobal.org/spec/lti-ags/v2p0), an activity's
completion state (Moodle's ``COMPLETION_COMPLETE`` / ``_PASS`` / ``_FAIL``), course completion and
grade, a badge earned, evidence reviewed, a manual grant, course membership (LTI NRPS 2.0 member
status and roles). Absence is meaningful: a fact nobody has reported yet is *unknown*; a reported
"no score" or "incomplete" is a fact that decides *not met*.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..timefmt import TimeFormatError, parse_datetime

EMPTY: Mapping[str, Any] = MappingProxyType({})


class FactError(ValueError):
    """Raise when a reported fact is malformed: the caller reports it and keeps nothing of it."""


class CompletionState(StrEnum):
    """Completion of an activity or course, kept apart as Moodle's completion API keeps them."""

    INCOMPLETE = "incomplete"
    COMPLETE = "complete"
    COMPLETE_PASS = "complete_pass"  # noqa: S105 - a completion state, not a secret
    COMPLETE_FAIL = "complete_fail"


class ReviewState(StrEnum):
    """Where a piece of evidence stands with the assessors."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class MemberStatus(StrEnum):
    """LTI NRPS 2.0 §2.3 member status."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"


def _aware(value: datetime | None, what: str) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise FactError(f"{what} must be a timezone-aware datetime")


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FactError(f"{what} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise FactError(f"{what} must be finite")
    return number


@dataclass(frozen=True, slots=True)
class Score:
    """A score on a line item or the course; ``given`` None means "reported, no score yet".

    ``given`` may exceed ``maximum``: AGS §3.4.5 allows extra credit, and so do Moodle and Canvas.
    """

    given: float | None
    maximum: float | None
    at: datetime | None
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "given", _number(self.given, "scoreGiven"))
        object.__setattr__(self, "maximum", _number(self.maximum, "scoreMaximum"))
        if self.given is not None and self.given < 0:
            raise FactError("scoreGiven must not be negative")
        if self.maximum is not None and self.maximum <= 0:
            raise FactError("scoreMaximum must be greater than 0")
        _aware(self.at, "score time")

    @property
    def percent(self) -> float | None:
        """Return the score as a percentage of the maximum, or None when either is missing."""
        if self.given is None or not self.maximum:
            return None
        return self.given * 100.0 / self.maximum


@dataclass(frozen=True, slots=True)
class Completion:
    state: CompletionState
    at: datetime | None
    source: str

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "state", CompletionState(self.state))
        except ValueError:
            raise FactError(f"unknown completion state {self.state!r}") from None
        _aware(self.at, "completion time")


@dataclass(frozen=True, slots=True)
class Earned:
    """Another badge this learner holds, active at evaluation time."""

    at: datetime | None
    source: str

    def __post_init__(self) -> None:
        _aware(self.at, "award time")


@dataclass(frozen=True, slots=True)
class Review:
    """Evidence submitted for a requirement and the assessors' latest word on it."""

    state: ReviewState
    at: datetime | None
    source: str
    by: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "state", ReviewState(self.state))
        except ValueError:
            raise FactError(f"unknown review state {self.state!r}") from None
        _aware(self.at, "review time")


@dataclass(frozen=True, slots=True)
class Grant:
    """A person's manual award of a requirement, with the tool role they acted in."""

    role: str
    by: str
    at: datetime | None
    source: str

    def __post_init__(self) -> None:
        _aware(self.at, "grant time")


@dataclass(frozen=True, slots=True)
class Membership:
    """The learner's place in the course: NRPS status, tool roles and groups."""

    status: MemberStatus
    roles: frozenset[str]
    groups: frozenset[str]
    at: datetime | None
    source: str

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", MemberStatus(self.status))
        except ValueError:
            raise FactError(f"unknown member status {self.status!r}") from None
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "groups", frozenset(self.groups))
        _aware(self.at, "membership time")


Fact = Score | Completion | Earned | Review | Grant | Membership


@dataclass(frozen=True, slots=True)
class LearnerFacts:
    """Everything the engine knows about one learner in one course, one fact per key."""

    learner: str
    scores: Mapping[str, Score] = field(default_factory=lambda: EMPTY)
    activities: Mapping[str, Completion] = field(default_factory=lambda: EMPTY)
    course_completion: Completion | None = None
    course_grade: Score | None = None
    badges: Mapping[str, Earned] = field(default_factory=lambda: EMPTY)
    evidence: Mapping[str, Review] = field(default_factory=lambda: EMPTY)
    grants: Mapping[str, Grant] = field(default_factory=lambda: EMPTY)
    membership: Membership | None = None


# Fact kinds as stored by the service: (kind, key) names one fact of a learner in a course.
SCORE, ACTIVITY, COURSE_COMPLETION, COURSE_GRADE = "score", "activity", "course_completion", "course_grade"
BADGE, EVIDENCE, GRANT, MEMBERSHIP = "badge", "evidence", "grant", "membership"
FACT_KINDS = (SCORE, ACTIVITY, COURSE_COMPLETION, COURSE_GRADE, BADGE, EVIDENCE, GRANT, MEMBERSHIP)
KEYLESS_KINDS = frozenset({COURSE_COMPLETION, COURSE_GRADE, MEMBERSHIP})
MAX_KEY_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class FactRecord:
    """One stored fact: kind, key, the value as JSON, when it was observed and from which source."""

    kind: str
    key: str
    value: Mapping[str, Any]
    observed_at: datetime
    source: str


def parse_fact(kind: str, value: Mapping[str, Any], *, source: str, observed_at: datetime | None = None) -> Fact:
    """Turn a fact's JSON value into its typed form, or raise :class:`FactError` saying what is wrong.

    The fact's time is the value's ``at`` (when it happened: AGS ``timestamp``, Moodle's
    ``timecompleted``) or else ``observed_at`` (when the source read it).
    """
    if not isinstance(value, Mapping):
        raise FactError("a fact's value must be a JSON object")
    at = _time(value.get("at"))
    if at is None:
        at = observed_at
    try:
        if kind in (SCORE, COURSE_GRADE):
            return Score(value.get("given"), value.get("maximum"), at, source)
        if kind in (ACTIVITY, COURSE_COMPLETION):
            return Completion(value.get("state"), at, source)
        if kind == BADGE:
            return Earned(at, source)
        if kind == EVIDENCE:
            return Review(value.get("state"), at, source, _text(value.get("by", ""), "by"))
        if kind == GRANT:
            return Grant(_text(value.get("role"), "role"), _text(value.get("by", ""), "by"), at, source)
        if kind == MEMBERSHIP:
            return Membership(value.get("status", MemberStatus.ACTIVE.value), _texts(value.get("roles", ())),
                              _texts(value.get("groups", ())), at, source)
    except TypeError as error:
        raise FactError(str(error)) from None
    raise FactError(f"unknown fact kind {kind!r}")


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return parse_datetime(value)
    except TimeFormatError as error:
        raise FactError(str(error)) from None


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_KEY_LENGTH:
        raise FactError(f"{what} must be a string of at most {MAX_KEY_LENGTH} characters")
    return value


def _texts(value: Any) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FactError("roles and groups must be lists of strings")
    return frozenset(_text(item, "role or group") for item in value)


def _value_rank(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def learner_facts(learner: str, records: Iterable[FactRecord]) -> LearnerFacts:
    """Fold a learner's stored facts into :class:`LearnerFacts`.

    When two reports name the same (kind, key), the later observation wins; on equal times the
    source that sorts last, then the value that sorts last, so the result never depends on the
    order of ``records``.
    """
    latest: dict[tuple[str, str], tuple[tuple[datetime, str], Any, Fact]] = {}
    for record in records:
        slot = (record.kind, "" if record.kind in KEYLESS_KINDS else record.key)
        rank = (record.observed_at, record.source)
        held = latest.get(slot)
        if held is not None and (rank < held[0] or (rank == held[0] and _value_rank(record.value)
                                                     <= _value_rank(held[1]))):
            continue
        fact = parse_fact(record.kind, record.value, source=record.source, observed_at=record.observed_at)
        latest[slot] = (rank, record.value, fact)
    by_kind: dict[str, dict[str, Any]] = {kind: {} for kind in FACT_KINDS}
    for (kind, key), (_rank, _value, fact) in sorted(latest.items(), key=lambda item: item[0]):
        by_kind[kind][key] = fact
    return LearnerFacts(
        learner=learner,
        scores=MappingProxyType(by_kind[SCORE]),
        activities=MappingProxyType(by_kind[ACTIVITY]),
        course_completion=by_kind[COURSE_COMPLETION].get(""),
        course_grade=by_kind[COURSE_GRADE].get(""),
        badges=MappingProxyType(by_kind[BADGE]),
        evidence=MappingProxyType(by_kind[EVIDENCE]),
        grants=MappingProxyType(by_kind[GRANT]),
        membership=by_kind[MEMBERSHIP].get(""),
    )
