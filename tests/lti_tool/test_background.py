"""The embedded runner: woken on commit, sweeping on its own, never losing a row it could not run."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command

from lti_tool import background
from lti_tool.background import EmbeddedWorker, run_due_work
from lti_tool.models import Award, PendingEvaluation
from lti_tool.services.criteria import achievement_rules_set
from lti_tool.services.facts import fact_record

from .services.criteriakit import course_badge

pytestmark = pytest.mark.django_db(transaction=True)  # the worker thread reads what the test committed
RULES = {"type": "all", "requirements": [{"type": "score", "item": "quiz", "threshold": 50}]}


def passing_score(course, learner):
    from django.utils import timezone
    fact_record(context=course, learner=learner, kind="score", key="quiz", value={"given": 70}, source="xblock",
                observed_at=timezone.now())


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker():
    started = []

    def start(**options):
        thread = EmbeddedWorker(**options)
        thread.start()
        started.append(thread)
        return thread
    yield start
    for thread in started:
        thread.stop()


def test_a_commit_wakes_the_worker_at_once(course, learner, worker):
    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules=RULES)
    thread = worker(interval=3600)  # no sweep during the test: only the wake-up can do it
    assert wait_for(lambda: thread.rounds >= 1)
    passing_score(course, learner)
    assert wait_for(lambda: Award.objects.filter(achievement=badge, learner=learner).exists())
    assert wait_for(lambda: not PendingEvaluation.objects.filter(done_at__isnull=True).exists())


def test_the_sweep_finds_work_whose_wake_up_was_lost(course, learner, worker, monkeypatch):
    badge = course_badge(course)
    monkeypatch.setattr(background, "wake", lambda: None)  # every wake-up message lost
    achievement_rules_set(achievement=badge, rules=RULES)
    passing_score(course, learner)
    assert PendingEvaluation.objects.filter(done_at__isnull=True).exists()
    worker(interval=0.2)
    assert wait_for(lambda: Award.objects.filter(achievement=badge, learner=learner).exists())


def test_one_failing_kind_of_work_does_not_stop_the_others(monkeypatch):
    def broken(**_):
        raise RuntimeError("boom")

    def fine(**_):
        return 3
    monkeypatch.setattr(background, "_due_work", lambda: [("broken", broken), ("fine", fine)])
    assert run_due_work() == {"broken": 0, "fine": 3}


def test_manage_py_worker_once(course, learner, monkeypatch):
    badge = course_badge(course)
    monkeypatch.setattr(background, "wake", lambda: None)
    achievement_rules_set(achievement=badge, rules=RULES)
    passing_score(course, learner)
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "evaluations: 2" in out.getvalue()  # the course-wide request, then the learner's
    assert Award.objects.filter(achievement=badge, learner=learner).exists()
