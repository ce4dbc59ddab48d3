"""The registrar feed under faults, with runners in processes of their own against this test database.

The receiver is a real HTTP server that fails in every way the issue lists: 500s, timeouts,
dropped connections, down for a while, slow answers. Runners are killed mid-delivery, their
database connections are cut, and Celery's broker is restarted. After each, every event reaches
the receiver, and every repeat carries the same event id, so the receiver can drop it.
Runs on SQLite and PostgreSQL (``.ci/run`` runs the suite on both), embedded and on Celery with
the machine's Redis (each test on a queue of its own); the broker restart uses a Redis of the test's
own (the machine's ``redis-server`` on a free port), since the shared one serves the other CI suite.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection

from lti_tool.models import FeedDelivery, FeedEvent
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.feed_endpoints import feed_endpoint_create
from lti_tool.services.learners import learner_find_or_create

from .feed_receiver import Receiver, Reply
from .workers import WORKER_APPLICATION, PrivateRedis, Workers

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"ACCOLADE_FEED_ALLOW_PRIVATE": "1", "ACCOLADE_FEED_TIMEOUT": "0.5", "ACCOLADE_FEED_LEASE": "2",
        "ACCOLADE_FEED_RETRY_SCHEDULE": ",".join(["0.2", "0.4", "0.8"] + ["1"] * 30)}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(issuer, receiver, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    endpoint, secret = feed_endpoint_create(issuer=issuer, name="SIS", url=receiver.url)
    receiver.secret = secret
    return endpoint


@pytest.fixture
def workers(tmp_path):
    runners = Workers(tmp_path, FAST)
    yield runners
    runners.close()


def learners(count: int):
    return [learner_find_or_create(email=f"f{n}@example.edu", sis_id=f"S{n:04d}", name=f"Learner {n}",
                                   source="test") for n in range(count)]


def everything_delivered(seconds: float = 90.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not FeedDelivery.objects.exclude(status=FeedDelivery.Status.DELIVERED).exists():
            return True
        time.sleep(0.2)
    return False


def check_received(receiver: Receiver) -> None:
    """Every event arrived, signed; per learner, first arrivals follow the feed's order."""
    events = {str(e.uuid): e for e in FeedEvent.objects.all()}
    assert set(receiver.event_ids()) == set(events)
    assert all(item.verified for item in receiver.received if item.headers.get("webhook-id"))
    by_learner: dict[int, list[int]] = {}
    for event_id in receiver.event_ids():
        event = events[event_id]
        if event.learner_id is not None:
            by_learner.setdefault(event.learner_id, []).append(event.position)
    for positions in by_learner.values():
        assert positions == sorted(positions), "events of one learner arrived out of order"


def faults() -> list[Reply]:
    return [Reply(500), Reply(drop=True), Reply(200, delay=1.0), Reply(503, {"Retry-After": "1"}), Reply(502),
            Reply(200, delay=0.3), Reply(drop=True), Reply(500)]


MACHINE_REDIS = "redis://127.0.0.1:6379/0"


def start(workers: Workers, kind: str, tmp_path):
    """Start a runner: the embedded worker, or Celery on the machine's Redis (a queue of this test's own)."""
    if kind == "embedded":
        return workers.embedded(interval=0.2)
    from .test_tasks import reachable

    if not reachable(MACHINE_REDIS):
        if os.environ.get("ACCOLADE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {MACHINE_REDIS} is not reachable")
        pytest.skip(f"Redis at {MACHINE_REDIS} is not reachable")
    return workers.celery(MACHINE_REDIS, sweep=0.5)


@pytest.mark.parametrize("kind", ["embedded", "celery"])
def test_a_receiver_failing_every_way_gets_every_event_once_deduplicated(achievement, endpoint, receiver, workers,
                                                                         kind, tmp_path):
    receiver.script(*faults())
    _process, log = start(workers, kind, tmp_path)
    people = learners(6)
    awards = [award_issue(achievement=achievement, learner=person, issued_by="t") for person in people[:3]]
    receiver.stop()  # down for a while
    time.sleep(1.5)
    awards += [award_issue(achievement=achievement, learner=person, issued_by="t") for person in people[3:]]
    award_revoke(award=awards[0], reason="grading error", revoked_by="r")
    receiver.start()
    assert everything_delivered(), log.read_text(errors="replace")[-3000:]
    check_received(receiver)
    assert len(receiver.received) > len(receiver.event_ids()), "the faults caused repeats, deduplicated by id"


@pytest.mark.parametrize("kind", ["embedded", "celery"])
def test_a_runner_killed_mid_delivery_leaves_it_to_the_next(achievement, endpoint, receiver, workers, kind,
                                                            tmp_path):
    receiver.script(Reply(200, delay=3.0))  # the first delivery is in flight when the runner dies
    first, _log = start(workers, kind, tmp_path)
    award_issue(achievement=achievement, learner=learners(1)[0], issued_by="t")
    deadline = time.monotonic() + 30
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.received, "the first runner never sent"
    Workers.kill(first)
    _second, log = start(workers, kind, tmp_path)
    assert everything_delivered(), log.read_text(errors="replace")[-3000:]
    check_received(receiver)
    assert len(receiver.received) == 2 and len(receiver.event_ids()) == 1  # sent twice, one event


def test_cut_database_connections_lose_nothing(achievement, endpoint, receiver, workers):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connection to cut; .ci/run runs this on PostgreSQL")
    receiver.script(*[Reply(200, delay=0.2)] * 10)
    _process, log = workers.embedded(interval=0.2)
    stop = threading.Event()
    cuts = []

    def cut():
        from django.db import connections
        own = connections["default"]
        while not stop.is_set():
            with own.cursor() as cursor:  # the runner's connections only, never this test's
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND application_name = %s", [WORKER_APPLICATION])
                cuts.extend(row[0] for row in cursor.fetchall())
            time.sleep(0.3)
        own.close()

    cutter = threading.Thread(target=cut, daemon=True)
    cutter.start()
    try:
        for person in learners(5):
            award_issue(achievement=achievement, learner=person, issued_by="t")
            time.sleep(0.3)
        time.sleep(2)
    finally:
        stop.set()
        cutter.join(10)
    assert any(cuts), "no connection was cut"
    assert everything_delivered(), log.read_text(errors="replace")[-3000:]
    check_received(receiver)


def test_a_restarted_broker_loses_nothing(achievement, endpoint, receiver, workers, tmp_path):
    redis = PrivateRedis(tmp_path)
    try:
        _process, log = workers.celery(redis.url, sweep=0.5)
        people = learners(4)
        award_issue(achievement=achievement, learner=people[0], issued_by="t")
        assert everything_delivered(30), log.read_text(errors="replace")[-3000:]
        redis.stop()
        for person in people[1:3]:
            award_issue(achievement=achievement, learner=person, issued_by="t")
        time.sleep(2)
        redis.start()  # same port, empty: every message sent meanwhile is gone
        award_issue(achievement=achievement, learner=people[3], issued_by="t")
        assert everything_delivered(), log.read_text(errors="replace")[-3000:]
        check_received(receiver)
    finally:
        redis.stop()


