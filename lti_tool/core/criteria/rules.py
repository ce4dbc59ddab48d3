"""A badge's criteria as a tree: ALL / ANY / at-least-N groups over requirements.

The JSON form is what instructors' forms and the REST API write and what the database keeps::

    {"type": "all", "requirements": [
        {"type": "score", "id": "quiz", "item": "ags:https://lms/lineitems/7", "threshold": 80, "unit": "percent"},
        {"type": "activity", "activity": "moodle:cm:42", "outcome": "passed",
         "window": {"not_after": "2027-01-31T23:59:59Z"}},
        {"type": "at_least", "count": 2, "requirements": [...]}]}

Every node has an ``id`` unique in its tree (given, or its position: ``"1.2"``). ``parse_criteria``
refuses anything it does not understand with :class:`CriteriaError` naming the place.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timefmt import TimeFormatError, format_datetime, parse_datetime
from . import facts as f

MAX_NODES = 500
MAX_DEPTH = 8
MAX_ID_LENGTH = 100
OUTCOMES = ("completed", "passed", "failed")


class CriteriaError(ValueError):
    """Raise when a criteria definition cannot be used; ``path`` says where in the tree."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True, slots=True)
class Window:
    """The deciding fact must have happened in [not_before, not_after] (either end open)."""

    not_before: datetime | None = None
    not_after: datetime | None = None

    def holds(self, at: datetime | None) -> bool | None:
        """Return whether ``at`` is inside the window; None when the fact carries no time."""
        if at is None:
            return None
        return (self.not_before is None or at >= self.not_before) and (self.not_after is None or at <= self.not_after)


@dataclass(frozen=True, slots=True)
class ScoreAtLeast:
    """Score on a line item ≥ threshold, in points or percent of the item's maximum."""

    id: str
    item: str
    threshold: float
    percent: bool = False
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class ActivityCompleted:
    """Activity completed (any completion), completed with a pass, or completed with a fail."""

    id: str
    activity: str
    outcome: str = "completed"
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class CourseCompleted:
    id: str
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class CourseGradeAtLeast:
    id: str
    threshold: float
    percent: bool = False
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class BadgeEarned:
    """Another badge (by its public id) held: stacking and pathways."""

    id: str
    achievement: str
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class EvidenceApproved:
    """The learner submitted evidence for this requirement and an assessor approved it."""

    id: str
    prompt: str = ""
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class ManualAward:
    """A person acting in one of ``roles`` marked this requirement as met."""

    id: str
    roles: frozenset[str] = frozenset({"instructor"})
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class MemberOf:
    """An active member of the course, optionally with a tool role and/or in a group."""

    id: str
    role: str | None = None
    group: str | None = None


Requirement = (ScoreAtLeast | ActivityCompleted | CourseCompleted | CourseGradeAtLeast | BadgeEarned
               | EvidenceApproved | ManualAward | MemberOf)


@dataclass(frozen=True, slots=True)
class Group:
    """``mode`` "all", "any" or "at_least" (then ``count`` of the children must be met)."""

    id: str
    mode: str
    children: tuple[Node, ...]
    count: int = 0

    @property
    def needed(self) -> int:
        """Return how many children must be met."""
        return len(self.children) if self.mode == "all" else 1 if self.mode == "any" else self.count


Node = Group | Requirement

_KINDS: dict[str, type] = {
    "score": ScoreAtLeast, "activity": ActivityCompleted, "course_completed": CourseCompleted,
    "course_grade": CourseGradeAtLeast, "badge": BadgeEarned, "evidence": EvidenceApproved,
    "manual": ManualAward, "member": MemberOf,
}
_NAMES = {cls: name for name, cls in _KINDS.items()}
_GROUPS = ("all", "any", "at_least")


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and every node below it, depth first, in order."""
    yield node
    if isinstance(node, Group):
        for child in node.children:
            yield from walk(child)


def requirements(node: Node) -> list[Requirement]:
    """Return the leaves of the tree in order."""
    return [item for item in walk(node) if not isinstance(item, Group)]


def prerequisites(node: Node) -> frozenset[str]:
    """Return the public ids of the badges this tree requires."""
    return frozenset(item.achievement for item in walk(node) if isinstance(item, BadgeEarned))


def dependencies(node: Node) -> frozenset[tuple[str, str]]:
    """Return the (fact kind, key) pairs whose change can change this tree's outcome."""
    found: set[tuple[str, str]] = set()
    for item in requirements(node):
        match item:
            case ScoreAtLeast():
                found.add((f.SCORE, item.item))
            case ActivityCompleted():
                found.add((f.ACTIVITY, item.activity))
            case CourseCompleted():
                found.add((f.COURSE_COMPLETION, ""))
            case CourseGradeAtLeast():
                found.add((f.COURSE_GRADE, ""))
            case BadgeEarned():
                found.add((f.BADGE, item.achievement))
            case EvidenceApproved():
                found.add((f.EVIDENCE, item.id))
            case ManualAward():
                found.add((f.GRANT, item.id))
            case MemberOf():
                found.add((f.MEMBERSHIP, ""))
    return frozenset(found)


# -- JSON form -----------------------------------------------------------------------------------

def parse_criteria(data: Any) -> Node:
    """Build the criteria tree from its JSON form, or raise :class:`CriteriaError`."""
    seen: set[str] = set()
    counter = [0]
    node = _parse(data, path="criteria", position="1", depth=0, seen=seen, counter=counter)
    if not isinstance(node, Group):  # a lone requirement is an ALL of one, so progress reads "k of n"
        node = Group(id="root" if "root" not in seen else "root.1", mode="all", children=(node,))
    return node


def _parse(data: Any, *, path: str, position: str, depth: int, seen: set[str], counter: list[int]) -> Node:
    if not isinstance(data, Mapping):
        raise CriteriaError("must be an object", path=path)
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise CriteriaError(f"more than {MAX_NODES} nodes", path=path)
    if depth > MAX_DEPTH:
        raise CriteriaError(f"nested deeper than {MAX_DEPTH} groups", path=path)
    kind = data.get("type")
    node_id = data.get("id", position)
    if not isinstance(node_id, str) or not node_id or len(node_id) > MAX_ID_LENGTH:
        raise CriteriaError(f"id must be a non-empty string of at most {MAX_ID_LENGTH} characters", path=path)
    if node_id in seen:
        raise CriteriaError(f"id {node_id!r} is used twice", path=path)
    seen.add(node_id)
    if kind in _GROUPS:
        _only(data, {"type", "id", "requirements", "count"}, path)
        items = data.get("requirements")
        if not isinstance(items, list) or not items:
            raise CriteriaError("a group needs a non-empty list of requirements", path=path)
        children = tuple(_parse(item, path=f"{path}.requirements[{index}]", position=f"{position}.{index + 1}",
                                depth=depth + 1, seen=seen, counter=counter)
                         for index, item in enumerate(items))
        count = 0
        if kind == "at_least":
            count = data.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= len(children):
                raise CriteriaError(f"count must be a whole number from 1 to {len(children)}", path=path)
        elif "count" in data:
            raise CriteriaError("count belongs to at_least groups only", path=path)
        return Group(id=node_id, mode=kind, children=children, count=count)
    cls = _KINDS.get(kind)
    if cls is None:
        raise CriteriaError(f"unknown type {kind!r}; expected one of {', '.join((*_GROUPS, *_KINDS))}", path=path)
    window = _window(data.get("window"), path=f"{path}.window") if "window" in data else None
    if cls is ScoreAtLeast:
        _only(data, {"type", "id", "item", "threshold", "unit", "window"}, path)
        threshold, percent = _threshold(data, path)
        return ScoreAtLeast(node_id, _key(data.get("item"), f"{path}.item"), threshold, percent, window)
    if cls is CourseGradeAtLeast:
        _only(data, {"type", "id", "threshold", "unit", "window"}, path)
        threshold, percent = _threshold(data, path)
        return CourseGradeAtLeast(node_id, threshold, percent, window)
    if cls is ActivityCompleted:
        _only(data, {"type", "id", "activity", "outcome", "window"}, path)
        outcome = data.get("outcome", "completed")
        if outcome not in OUTCOMES:
            raise CriteriaError(f"outcome must be one of {', '.join(OUTCOMES)}", path=f"{path}.outcome")
        return ActivityCompleted(node_id, _key(data.get("activity"), f"{path}.activity"), outcome, window)
    if cls is CourseCompleted:
        _only(data, {"type", "id", "window"}, path)
        return CourseCompleted(node_id, window)
    if cls is BadgeEarned:
        _only(data, {"type", "id", "achievement", "window"}, path)
        return BadgeEarned(node_id, _key(data.get("achievement"), f"{path}.achievement"), window)
    if cls is EvidenceApproved:
        _only(data, {"type", "id", "prompt", "window"}, path)
        prompt = data.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 4000:
            raise CriteriaError("prompt must be text of at most 4000 characters", path=f"{path}.prompt")
        return EvidenceApproved(node_id, prompt, window)
    if cls is ManualAward:
        _only(data, {"type", "id", "roles", "window"}, path)
        roles = data.get("roles", ["instructor"])
        if (not isinstance(roles, list) or not roles
                or not all(isinstance(role, str) and 0 < len(role) <= MAX_ID_LENGTH for role in roles)):
            raise CriteriaError("roles must be a non-empty list of role names", path=f"{path}.roles")
        return ManualAward(node_id, frozenset(roles), window)
    _only(data, {"type", "id", "role", "group"}, path)
    role, group = data.get("role"), data.get("group")
    for name, value in (("role", role), ("group", group)):
        if value is not None and (not isinstance(value, str) or not value or len(value) > f.MAX_KEY_LENGTH):
            raise CriteriaError(f"{name} must be a non-empty string", path=f"{path}.{name}")
    return MemberOf(node_id, role, group)


def _only(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise CriteriaError(f"unexpected field(s) {', '.join(map(repr, extra))}", path=path)


def _key(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > f.MAX_KEY_LENGTH:
        raise CriteriaError(f"must be a non-empty string of at most {f.MAX_KEY_LENGTH} characters", path=path)
    return value


def _threshold(data: Mapping[str, Any], path: str) -> tuple[float, bool]:
    threshold = data.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise CriteriaError("threshold must be a number", path=f"{path}.threshold")
    unit = data.get("unit", "points")
    if unit not in ("points", "percent"):
        raise CriteriaError("unit must be points or percent", path=f"{path}.unit")
    if threshold < 0 or (unit == "percent" and threshold > 100):
        raise CriteriaError("threshold must be 0 or more (at most 100 for percent)", path=f"{path}.threshold")
    return float(threshold), unit == "percent"


def _window(data: Any, *, path: str) -> Window:
    if not isinstance(data, Mapping) or not data or set(data) - {"not_before", "not_after"}:
        raise CriteriaError("window must be an object with not_before and/or not_after", path=path)
    ends: dict[str, datetime | None] = {}
    for name in ("not_before", "not_after"):
        value = data.get(name)
        try:
            ends[name] = parse_datetime(value) if value is not None else None
        except TimeFormatError as error:
            raise CriteriaError(str(error), path=f"{path}.{name}") from None
    if ends["not_before"] and ends["not_after"] and ends["not_before"] > ends["not_after"]:
        raise CriteriaError("not_before is after not_after", path=path)
    return Window(ends["not_before"], ends["not_after"])


def criteria_json(node: Node) -> dict[str, Any]:
    """Return the JSON form of a tree; ``parse_criteria(criteria_json(t)) == t``."""
    if isinstance(node, Group):
        data: dict[str, Any] = {"type": node.mode, "id": node.id,
                                "requirements": [criteria_json(child) for child in node.children]}
        if node.mode == "at_least":
            data["count"] = node.count
        return data
    data = {"type": _NAMES[type(node)], "id": node.id}
    match node:
        case ScoreAtLeast() | CourseGradeAtLeast():
            if isinstance(node, ScoreAtLeast):
                data["item"] = node.item
            data["threshold"] = int(node.threshold) if node.threshold.is_integer() else node.threshold
            data["unit"] = "percent" if node.percent else "points"
        case ActivityCompleted():
            data.update(activity=node.activity, outcome=node.outcome)
        case BadgeEarned():
            data["achievement"] = node.achievement
        case EvidenceApproved():
            if node.prompt:
                data["prompt"] = node.prompt
        case ManualAward():
            data["roles"] = sorted(node.roles)
        case MemberOf():
            data.update({name: value for name, value in (("role", node.role), ("group", node.group)) if value})
    window = getattr(node, "window", None)
    if window is not None:
        data["window"] = {name: format_datetime(value) for name, value in
                          (("not_before", window.not_before), ("not_after", window.not_after)) if value}
    return data
