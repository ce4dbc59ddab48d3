"""Celery at scale: real workers on the machine's Redis and RabbitMQ, against this test database.

Each test starts ``celery -A lti_tool.tasks worker --beat`` in a subprocess on its own queue (two CI
runs share the brokers), pointed at the test database, and records facts from this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from lti_tool.models import Award
from lti_tool.services.criteria import achievement_rules_set
from lti_tool.services.facts import fact_record
from lti_tool.tasks import app

from .services.criteriakit import course_badge
from .workers import database_url

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
NOWHERE = "redis://127.0.0.1:9/0"  # the discard port: every wake-up message is lost
RULES = {"type": "all", "requirements": [{"type": "score", "item": "quiz", "threshold": 50}]}


def reachable(url: str) -> bool:
    try:
        with app.connection_for_write(url=url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


@pytest.fixture(params=list(BROKERS))
def broker(request):
    url = BROKERS[request.param]
    if not reachable(url):
        if os.environ.get("ACCOLADE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{request.param} at {url} is not reachable")
        pytest.skip(f"{request.param} at {url} is not reachable")
    return url


@pytest.fixture
def start_worker(tmp_path, settings):
    queue = f"accolade-test-{os.getpid()}-{time.monotonic_ns()}"
    settings.ACCOLADE = {**settings.ACCOLADE, "TASKS": "celery"}
    started = []

    def start(broker_url: str, *, sweep: float, send_to: str) -> Path:
        log = tmp_path / f"worker-{len(started)}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
               "CELERY_BROKER_URL": broker_url, "ACCOLADE_CELERY_QUEUE": queue, "ACCOLADE_TASKS": "celery",
               "ACCOLADE_WORKER_INTERVAL": str(sweep), "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(  # our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "lti_tool.tasks", "worker", "--beat", "--pool=solo",
             "-Q", queue, "-s", str(tmp_path / f"beat-{len(started)}"), "--loglevel=INFO",
             # a node name of its own: two CI suites start workers at once, and RabbitMQ gives each
             # node's control queue (celery@host.celery.pidbox) to one connection only
             "-n", f"{queue}-{len(started)}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the Celery worker did not start: " + log.read_text()[-3000:]
            time.sleep(0.1)
        # This process (the "web" side) sends its wake-up messages to ``send_to`` on the same queue.
        app.conf.broker_url = send_to
        app.conf.task_default_queue = queue
        app._after_fork()  # drop the producer pool made for another broker
        return log

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)  # worker and its beat, as a crash would: the rows hold the state
        process.wait(10)
    app._after_fork()


def passing_score(course, learner):
    fact_record(context=course, learner=learner, kind="score", key="quiz", value={"given": 80}, source="xblock",
                observed_at=timezone.now())


def awarded(badge, learner, seconds=45.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Award.objects.filter(achievement=badge, learner=learner).exists():
            return True
        time.sleep(0.1)
    return False


def test_a_fact_is_awarded_by_a_celery_worker_woken_by_its_message(course, learner, broker, start_worker):
    log = start_worker(broker, sweep=3600, send_to=broker)  # no sweep: only the message can do it
    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules=RULES)
    passing_score(course, learner)
    assert awarded(badge, learner), log.read_text()[-3000:]
    assert "lti_tool.run_due_work" in log.read_text()


def test_lost_wake_up_messages_are_caught_by_the_beat_sweep(course, learner, broker, start_worker):
    log = start_worker(broker, sweep=1, send_to=NOWHERE)
    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules=RULES)
    passing_score(course, learner)  # its wake-up message cannot be sent
    assert awarded(badge, learner), log.read_text()[-3000:]
