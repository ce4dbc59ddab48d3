"""Properties of the evaluator over random trees and random facts (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.core.criteria.evaluate import Status, compile_criteria, explain
from lti_tool.core.criteria.facts import FactRecord, learner_facts
from lti_tool.core.criteria.rules import Group, criteria_json, parse_criteria, requirements

from .criteriakit import at, completion, learner, score

ITEMS = ["q1", "q2", "q3"]
ACTIVITIES = ["a1", "a2", "a3"]


def leaves() -> st.SearchStrategy[dict]:
    return st.one_of(
        st.builds(lambda item, threshold, unit: {"type": "score", "item": item, "threshold": threshold, "unit": unit},
                  st.sampled_from(ITEMS), st.integers(0, 100), st.sampled_from(["points", "percent"])),
        st.builds(lambda activity, outcome: {"type": "activity", "activity": activity, "outcome": outcome},
                  st.sampled_from(ACTIVITIES), st.sampled_from(["completed", "passed", "failed"])),
        st.just({"type": "course_completed"}),
    )


def trees() -> st.SearchStrategy[dict]:
    def group(children: st.SearchStrategy) -> st.SearchStrategy[dict]:
        return st.lists(children, min_size=1, max_size=4).flatmap(lambda items: st.one_of(
            st.just({"type": "all", "requirements": items}),
            st.just({"type": "any", "requirements": items}),
            st.integers(1, len(items)).map(lambda n: {"type": "at_least", "count": n, "requirements": items})))
    return group(st.recursive(leaves(), group, max_leaves=12))


SCORES = st.one_of(st.none(), st.builds(lambda g, m: score(g, m), st.one_of(st.none(), st.integers(0, 120)),
                                        st.one_of(st.none(), st.integers(1, 100))))
STATES = st.one_of(st.none(), st.sampled_from(["incomplete", "complete", "complete_pass", "complete_fail"]))


@st.composite
def facts(draw):
    scores = {item: value for item in ITEMS if (value := draw(SCORES)) is not None}
    activities = {a: completion(state) for a in ACTIVITIES if (state := draw(STATES)) is not None}
    course = draw(STATES)
    return learner(scores=scores, activities=activities,
                   course_completion=completion(course) if course else None)


@settings(max_examples=300, deadline=None)
@given(trees(), facts())
def test_the_bulk_path_agrees_with_the_explaining_path(data, learner_facts_):
    tree = parse_criteria(data)
    assert compile_criteria(tree)(learner_facts_) == explain(tree, learner_facts_).status


@settings(max_examples=300, deadline=None)
@given(trees(), facts())
def test_progress_is_bounded_and_full_exactly_when_met(data, learner_facts_):
    outcome = explain(parse_criteria(data), learner_facts_)
    assert 0 <= outcome.done <= outcome.needed
    assert (outcome.done == outcome.needed) == (outcome.status == Status.MET)


@settings(max_examples=200, deadline=None)
@given(trees(), facts(), st.randoms(use_true_random=False))
def test_learning_an_unknown_never_flips_a_settled_answer(data, learner_facts_, rnd):
    """Kleene monotonicity: once met or not met, any answer for the unknowns leaves it so."""
    tree = parse_criteria(data)
    before = explain(tree, learner_facts_).status
    scores = dict(learner_facts_.scores)
    activities = dict(learner_facts_.activities)
    for item in ITEMS:
        scores.setdefault(item, score(rnd.choice([None, 0, 50, 100])))
    for activity in ACTIVITIES:
        activities.setdefault(activity, completion(rnd.choice(["incomplete", "complete", "complete_pass"])))
    course = learner_facts_.course_completion or completion(rnd.choice(["incomplete", "complete"]))
    after = explain(tree, learner(scores=scores, activities=activities, course_completion=course)).status
    if before != Status.UNKNOWN:
        assert after == before


@settings(max_examples=200, deadline=None)
@given(st.lists(leaves(), min_size=1, max_size=6), facts())
def test_any_is_at_least_one_and_all_is_at_least_n(items, learner_facts_):
    def status(group: dict) -> Status:
        return explain(parse_criteria(group), learner_facts_).status
    assert status({"type": "any", "requirements": items}) == status(
        {"type": "at_least", "count": 1, "requirements": items})
    assert status({"type": "all", "requirements": items}) == status(
        {"type": "at_least", "count": len(items), "requirements": items})


@settings(max_examples=200, deadline=None)
@given(trees())
def test_the_json_form_round_trips(data):
    tree = parse_criteria(data)
    assert parse_criteria(criteria_json(tree)) == tree
    assert isinstance(tree, Group) and requirements(tree)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ITEMS), st.integers(0, 100), st.integers(0, 5),
                          st.sampled_from(["ags", "xblock", "moodle"])), max_size=12), st.randoms())
def test_folding_facts_does_not_depend_on_their_order(reports, rnd):
    records = [FactRecord("score", item, {"given": given, "maximum": 100}, at(day), source)
               for item, given, day, source in reports]
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert learner_facts("ada", records) == learner_facts("ada", shuffled)

