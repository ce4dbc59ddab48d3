"""Criteria evaluation: 100,000 learners × 20 requirements, and one learner after one new fact.

Usage: .venv/bin/python benchmarks/criteria.py [--learners N] [--rounds R] [--cpu N] [--no-pin] [--quick]

Pure core (``lti_tool.core.criteria``), no database: the service-level figures (facts read from the
database, awards written) come with the fact store. Everything runs on one CPU (0 unless --cpu).

Routes, interleaved round by round on the same facts:
* ``bulk``: ``compile_criteria(tree)`` applied to every learner (status only; what a re-evaluation
  run uses to find who crossed the line);
* ``explain``: ``Explainer(tree)`` for every learner (every node's status, reason, fact, progress);
* ``reference``: the same tree written by hand as one straight-line Python function over the same
  facts (no tree, no closures): the floor for evaluating this tree in CPython.
Incremental: one learner's score changes; fold the new fact into their facts, find the badges of the
course whose criteria read that (kind, key) through the dependency index, explain those badges for
that learner and decide. Timed per call over many calls.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)

from lti_tool.core.criteria.evaluate import MET, NOT_MET, UNKNOWN, Explainer, compile_criteria  # noqa: E402
from lti_tool.core.criteria.facts import (  # noqa: E402
    Completion,
    CompletionState,
    Grant,
    LearnerFacts,
    Review,
    ReviewState,
    Score,
)
from lti_tool.core.criteria.policy import AwardPolicy, Standing, decide  # noqa: E402
from lti_tool.core.criteria.rules import dependencies, parse_criteria  # noqa: E402

T0 = datetime(2026, 9, 1, tzinfo=UTC)
ITEMS = [f"ags:https://lms.example.edu/mod/lti/services.php/2/lineitems/{n}/lineitem?type_id=1" for n in range(8)]
ACTIVITIES = [f"moodle:cm:{100 + n}" for n in range(8)]

# 20 requirements: 8 scores (ALL), 5 of 8 activities, course completion or grade, evidence, manual.
TREE = parse_criteria({"type": "all", "id": "root", "requirements": [
    *({"type": "score", "id": f"s{n}", "item": item, "threshold": 60, "unit": "percent"}
      for n, item in enumerate(ITEMS)),
    {"type": "at_least", "id": "labs", "count": 5, "requirements": [
        {"type": "activity", "id": f"a{n}", "activity": activity, "outcome": "passed" if n % 2 else "completed"}
        for n, activity in enumerate(ACTIVITIES)]},
    {"type": "any", "id": "course", "requirements": [
        {"type": "course_completed", "id": "cc"},
        {"type": "course_grade", "id": "cg", "threshold": 70, "unit": "percent"}]},
    {"type": "evidence", "id": "portfolio"},
    {"type": "manual", "id": "observed", "roles": ["assessor", "instructor"]},
]})

STATES = [CompletionState.INCOMPLETE, CompletionState.COMPLETE, CompletionState.COMPLETE_PASS,
          CompletionState.COMPLETE_FAIL]


def make_learners(count: int, seed: int = 7) -> list[LearnerFacts]:
    """Return learners spread over the outcomes, most of them far along (a course near its end).

    Scores are mostly passing, so most learners need every requirement looked at: the early exit of
    a failed requirement does not make the figure.
    """
    rnd = random.Random(seed)
    learners = []
    for n in range(count):
        day = T0 + timedelta(days=rnd.randrange(90))
        scores = {item: Score(rnd.uniform(62, 100) if rnd.random() < 0.95 else rnd.choice((None, 30.0)), 100.0,
                              day, "ags")
                  for item in ITEMS if rnd.random() < 0.99}
        activities = {activity: Completion(rnd.choice(STATES[1:] if rnd.random() < 0.8 else STATES), day, "moodle")
                      for activity in ACTIVITIES if rnd.random() < 0.95}
        learners.append(LearnerFacts(
            learner=f"learner-{n}",
            scores=MappingProxyType(scores),
            activities=MappingProxyType(activities),
            course_completion=Completion(rnd.choice(STATES), day, "moodle") if rnd.random() < 0.9 else None,
            course_grade=Score(rnd.uniform(30, 100), 100.0, day, "ags") if rnd.random() < 0.9 else None,
            evidence=MappingProxyType({"portfolio": Review(ReviewState.APPROVED, day, "accolade")}
                                      if rnd.random() < 0.9 else {}),
            grants=MappingProxyType({"observed": Grant("assessor", "tina", day, "accolade")}
                                    if rnd.random() < 0.9 else {}),
        ))
    return learners


def reference(facts: LearnerFacts) -> int:
    """Evaluate TREE for one learner as straight-line code: the floor for CPython."""
    unknown = False
    scores = facts.scores
    for item in ITEMS:
        score = scores.get(item)
        if score is None:
            unknown = True
            continue
        if score.given is None or score.given * 100.0 < 60 * score.maximum:
            return NOT_MET
    activities = facts.activities
    met = open_ = 0
    for n, activity in enumerate(ACTIVITIES):
        completion = activities.get(activity)
        if completion is None:
            open_ += 1
        elif (completion.state is CompletionState.COMPLETE_PASS if n % 2
              else completion.state is not CompletionState.INCOMPLETE):
            met += 1
    if met < 5:
        if met + open_ < 5:
            return NOT_MET
        unknown = True
    course = facts.course_completion
    grade = facts.course_grade
    course_met = course is not None and course.state is not CompletionState.INCOMPLETE
    grade_met = grade is not None and grade.given is not None and grade.given * 100.0 >= 70 * grade.maximum
    if not (course_met or grade_met):
        if course is not None and grade is not None:
            return NOT_MET
        unknown = True
    review = facts.evidence.get("portfolio")
    if review is None or review.state is not ReviewState.APPROVED:
        return NOT_MET
    grant = facts.grants.get("observed")
    if grant is None or grant.role not in ("assessor", "instructor"):
        return NOT_MET
    return UNKNOWN if unknown else MET


def time_pass(fn, learners) -> tuple[float, list]:
    gc.collect()
    start = time.perf_counter()
    results = [fn(facts) for facts in learners]
    return time.perf_counter() - start, results


def incremental(learners: list[LearnerFacts], calls: int) -> list[float]:
    """Time: one new score for one learner → affected badges → explain → decide, per call."""
    badges = {f"badge-{n}": TREE for n in range(10)}  # a course with 10 badges; index built once
    explainers = {badge: Explainer(tree) for badge, tree in badges.items()}
    index: dict[tuple[str, str], list[str]] = {}
    for badge, tree in badges.items():
        for dependency in dependencies(tree):
            index.setdefault(dependency, []).append(badge)
    policy = AwardPolicy(revoke_on_regression=True)
    rnd = random.Random(11)
    samples = []
    for _ in range(calls):
        facts = learners[rnd.randrange(len(learners))]
        item = ITEMS[rnd.randrange(len(ITEMS))]
        new = Score(rnd.uniform(0, 100), 100.0, T0 + timedelta(days=100), "ags")
        start = time.perf_counter()
        updated = replace(facts, scores=MappingProxyType({**facts.scores, item: new}))
        for badge in index.get(("score", item), ()):
            outcome = explainers[badge](updated)
            decide(policy, outcome.status, Standing.NONE, met_at=outcome.at, activated_at=T0)
        samples.append(time.perf_counter() - start)
    return samples


def pin(cpu: int) -> str:
    try:
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError) as error:
        return f"not pinned ({error})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10,000 learners, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.learners, args.rounds = min(args.learners, 10_000), 3
    where = "not pinned (--no-pin)" if args.no_pin else pin(args.cpu)
    print(f"criteria benchmark: {args.learners:,} learners × {len(list(_leaves()))} requirements, "
          f"{args.rounds} rounds, {where}; Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}",
          flush=True)

    tracemalloc.start()
    learners = make_learners(args.learners)
    facts_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"facts built: {facts_bytes / args.learners:,.0f} bytes per learner "
          f"({facts_bytes / 2**20:,.0f} MiB in all, tracemalloc)", flush=True)

    bulk, explainer = compile_criteria(TREE), Explainer(TREE)
    routes = {"bulk (compile_criteria)": bulk, "explain (Explainer)": lambda f: explainer(f).status,
              "reference (hand-written)": reference}
    times: dict[str, list[float]] = {name: [] for name in routes}
    answers = {}
    for round_ in range(args.rounds):
        names = list(routes)
        names = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in names:
            seconds, results = time_pass(routes[name], learners)
            times[name].append(seconds)
            answers[name] = results
    first = answers["reference (hand-written)"]
    for name, results in answers.items():
        if results != first:
            raise SystemExit(f"{name} disagrees with the reference: the benchmark is wrong")
    counts = {label: first.count(value) for label, value in (("met", MET), ("not met", NOT_MET),
                                                               ("unknown", UNKNOWN))}
    print("outcomes: " + ", ".join(f"{label} {count:,}" for label, count in counts.items()))
    reference_median = statistics.median(times["reference (hand-written)"])
    print("\n| route | median s | min s | µs per learner | learners/s | x reference time |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"| {name} | {median:.3f} | {min(samples):.3f} | {median * 1e6 / args.learners:.2f} | "
              f"{args.learners / median:,.0f} | {median / reference_median:.2f}x |")
    target = statistics.median(times["bulk (compile_criteria)"])
    print(f"\nbulk evaluation of {args.learners:,} learners: {target:.3f} s "
          f"(target under 2 s for 100,000: {'met' if target * 100_000 / args.learners < 2 else 'NOT met'})")

    samples = sorted(incremental(learners, 20_000 if not args.quick else 2_000))
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    print(f"incremental (one score → 10 dependent badges explained and decided, core only): "
          f"p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms, max {samples[-1] * 1e3:.3f} ms "
          f"(target under 5 ms: {'met' if p99 < 0.005 else 'NOT met'})")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def _leaves():
    from lti_tool.core.criteria.rules import requirements
    return requirements(TREE)


if __name__ == "__main__":
    main()
