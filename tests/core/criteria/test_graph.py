"""Badge prerequisites: cycles refused with their path, prerequisites ordered first."""

from __future__ import annotations

import pytest

from lti_tool.core.criteria.graph import check_acyclic, order
from lti_tool.core.criteria.rules import CriteriaError


def test_prerequisites_come_first_and_foreign_badges_are_leaves():
    requires = {"capstone": ["intro", "lab"], "lab": ["intro"], "intro": ["other-course-badge"]}
    assert order(requires) == ["intro", "lab", "capstone"]
    check_acyclic(requires)


@pytest.mark.parametrize(("requires", "cycle"), [
    ({"a": ["a"]}, "badge a requires itself"),
    ({"a": ["b"], "b": ["a"]}, "a → b → a"),
    ({"a": ["b"], "b": ["c"], "c": ["d"], "d": ["b"]}, "b → c → d → b"),
])
def test_cycles_are_refused_with_their_path(requires, cycle):
    with pytest.raises(CriteriaError, match=cycle):
        check_acyclic(requires)


def test_long_chains_do_not_recurse():
    requires = {f"b{i}": [f"b{i + 1}"] for i in range(20_000)}
    assert order(requires)[0] == "b19999"
    requires["b19999"] = ["b0"]
    with pytest.raises(CriteriaError, match="cycle"):
        check_acyclic(requires)
