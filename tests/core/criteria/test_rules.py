"""The JSON form of criteria: what parses, what is refused and where, and the round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_tool.core.criteria.rules import (
    MAX_DEPTH,
    MAX_NODES,
    ActivityCompleted,
    BadgeEarned,
    CriteriaError,
    Group,
    ScoreAtLeast,
    criteria_json,
    dependencies,
    parse_criteria,
    prerequisites,
    requirements,
)

EXAMPLE = {"type": "all", "id": "root", "requirements": [
    {"type": "score", "id": "quiz", "item": "ags:https://lms.example/lineitems/7", "threshold": 80, "unit": "percent"},
    {"type": "activity", "id": "essay", "activity": "moodle:cm:42", "outcome": "passed",
     "window": {"not_after": "2026-12-31T23:59:59Z"}},
    {"type": "at_least", "id": "two", "count": 2, "requirements": [
        {"type": "course_completed", "id": "cc"},
        {"type": "course_grade", "id": "cg", "threshold": 65.5, "unit": "points"},
        {"type": "badge", "id": "intro", "achievement": "urn:uuid:0f7d4d0e-8a53-4b0c-9d36-2a1c4e6f1b11"},
        {"type": "evidence", "id": "portfolio", "prompt": "Link your portfolio"},
        {"type": "manual", "id": "observed", "roles": ["assessor", "instructor"]},
        {"type": "member", "id": "lab", "role": "learner", "group": "Lab A"},
    ]},
]}


def test_example_parses_and_round_trips():
    tree = parse_criteria(EXAMPLE)
    assert isinstance(tree, Group) and tree.mode == "all" and tree.needed == 3
    assert [r.id for r in requirements(tree)] == ["quiz", "essay", "cc", "cg", "intro", "portfolio", "observed", "lab"]
    assert tree.children[0] == ScoreAtLeast("quiz", "ags:https://lms.example/lineitems/7", 80.0, True)
    assert tree.children[1].window.not_after == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_criteria(criteria_json(tree)) == tree
    assert criteria_json(tree) == EXAMPLE


def test_positions_name_nodes_without_ids():
    tree = parse_criteria({"type": "any", "requirements": [
        {"type": "course_completed"}, {"type": "all", "requirements": [{"type": "course_completed"}]}]})
    assert tree.id == "1" and [c.id for c in tree.children] == ["1.1", "1.2"]
    assert tree.children[1].children[0].id == "1.2.1"


def test_a_lone_requirement_becomes_a_group_of_one():
    tree = parse_criteria({"type": "badge", "achievement": "urn:uuid:x"})
    assert tree == Group("root", "all", (BadgeEarned("1", "urn:uuid:x"),))


@pytest.mark.parametrize(("data", "path", "message"), [
    ([], "criteria", "must be an object"),
    ({"type": "every", "requirements": []}, "criteria", "unknown type 'every'"),
    ({"type": "all", "requirements": []}, "criteria", "non-empty list"),
    ({"type": "all", "requirements": "x"}, "criteria", "non-empty list"),
    ({"type": "at_least", "count": 3, "requirements": [{"type": "course_completed"}]}, "criteria", "count must"),
    ({"type": "at_least", "count": True, "requirements": [{"type": "course_completed"}]}, "criteria", "count must"),
    ({"type": "any", "count": 1, "requirements": [{"type": "course_completed"}]}, "criteria", "count belongs"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": "80"}]},
     "criteria.requirements[0].threshold", "must be a number"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": float("nan")}]},
     "criteria.requirements[0].threshold", "must be a number"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": 120, "unit": "percent"}]},
     "criteria.requirements[0].threshold", "at most 100"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": -1}]},
     "criteria.requirements[0].threshold", "0 or more"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": 1, "unit": "stars"}]},
     "criteria.requirements[0].unit", "points or percent"),
    ({"type": "all", "requirements": [{"type": "score", "item": "", "threshold": 1}]},
     "criteria.requirements[0].item", "non-empty string"),
    ({"type": "all", "requirements": [{"type": "score", "item": "i", "threshold": 1, "weight": 2}]},
     "criteria.requirements[0]", "unexpected field(s) 'weight'"),
    ({"type": "all", "requirements": [{"type": "activity", "activity": "a", "outcome": "done"}]},
     "criteria.requirements[0].outcome", "outcome must be one of"),
    ({"type": "all", "requirements": [{"type": "manual", "roles": []}]},
     "criteria.requirements[0].roles", "non-empty list"),
    ({"type": "all", "requirements": [{"type": "member", "group": ""}]},
     "criteria.requirements[0].group", "non-empty string"),
    ({"type": "all", "requirements": [{"type": "course_completed", "window": {"not_after": "2026-01-01"}}]},
     "criteria.requirements[0].window.not_after", "no time zone"),
    ({"type": "all", "requirements": [{"type": "course_completed", "window": {
        "not_before": "2026-02-01T00:00:00Z", "not_after": "2026-01-01T00:00:00Z"}}]},
     "criteria.requirements[0].window", "not_before is after not_after"),
    ({"type": "all", "requirements": [{"type": "course_completed", "window": {}}]},
     "criteria.requirements[0].window", "window must be"),
    ({"type": "all", "requirements": [{"type": "course_completed", "id": "a"},
                                      {"type": "course_completed", "id": "a"}]},
     "criteria.requirements[1]", "used twice"),
    ({"type": "all", "requirements": [{"type": "course_completed", "id": 7}]},
     "criteria.requirements[0]", "id must be"),
])
def test_bad_definitions_are_refused_with_their_place(data, path, message):
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(data)
    assert caught.value.path == path
    assert message in str(caught.value)


def test_size_and_depth_are_bounded():
    wide = {"type": "any", "requirements": [{"type": "course_completed"}] * MAX_NODES}
    with pytest.raises(CriteriaError, match=f"more than {MAX_NODES} nodes"):
        parse_criteria(wide)
    deep: dict = {"type": "course_completed"}
    for _ in range(MAX_DEPTH + 1):
        deep = {"type": "all", "requirements": [deep]}
    with pytest.raises(CriteriaError, match="nested deeper"):
        parse_criteria(deep)


def test_prerequisites_and_dependencies():
    tree = parse_criteria(EXAMPLE)
    assert prerequisites(tree) == {"urn:uuid:0f7d4d0e-8a53-4b0c-9d36-2a1c4e6f1b11"}
    assert dependencies(tree) == {
        ("score", "ags:https://lms.example/lineitems/7"), ("activity", "moodle:cm:42"),
        ("course_completion", ""), ("course_grade", ""),
        ("badge", "urn:uuid:0f7d4d0e-8a53-4b0c-9d36-2a1c4e6f1b11"),
        ("evidence", "portfolio"), ("grant", "observed"), ("membership", ""),
    }
    assert ActivityCompleted("essay", "moodle:cm:42", "passed", tree.children[1].window) == tree.children[1]
