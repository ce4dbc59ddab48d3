"""Registrar feed delivery on SQLite and PostgreSQL: events per second to a local receiver, and a backlog drained.

Usage: .venv/bin/python benchmarks/feed_delivery.py [--quick] [--databases sqlite,postgresql]
       [--postgres URL] [--events N] [--backlog N] [--workers 2]

Each database gets a scratch database (as benchmarks/lti_launch.py makes them). The feed's events
are real ones: one award is issued through the service, and its outbox event is copied N times
(N learners, N positions) with a planned delivery each, as a day of bulk awards would leave them.
Then ``--workers`` embedded runners (``manage.py worker``, each its own process) deliver them as
signed webhooks to a receiver on loopback (tests/lti_tool/feed_receiver.py, a threading HTTP
server that answers 200) until none is left:

1. **Throughput**: ``--events`` deliveries (default 5,000), events per second from the runners'
   start to the last delivery, with the receiver's own count as a check.
2. **Backlog**: ``--backlog`` deliveries (default 100,000) waiting when the runners start; the time
   to drain them all.

Reference in the same run: the receiver alone, the same number of signed POSTs sent by one Python
loop without the database (``urllib3``), so the figure says how much the database work costs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 events and a 5,000-event backlog")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("ACCOLADE_BENCH_POSTGRES",
                                                             "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--backlog", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.events = args.events or (1000 if args.quick else 5000)
    args.backlog = args.backlog or (5000 if args.quick else 100_000)
    return args


def main() -> None:
    args = parse_args()
    if args.phase:
        print(json.dumps(run_phase(json.loads(args.phase))), flush=True)
        return
    from benchmarks.phases import phase_in_scratch

    print(f"feed delivery benchmark: {args.events:,} events, a backlog of {args.backlog:,}, {args.workers} "
          f"runner processes; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for kind in [d.strip() for d in args.databases.split(",") if d.strip()]:
        row: dict[str, Any] = {"kind": kind}
        for name, count in (("throughput", args.events), ("backlog", args.backlog)):
            result = phase_in_scratch(__file__, kind, args.postgres, {"count": count, "workers": args.workers})
            if result is None:
                break
            row[name] = result
        if "backlog" in row:
            results.append(row)
    print()
    print("| database | events | runners | seconds | events/s | reference loop events/s | ratio | "
          "backlog | drain seconds | drain events/s |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in results:
        t, b = r["throughput"], r["backlog"]
        print(f"| {r['kind']} | {t['count']:,} | {t['workers']} | {t['seconds']:.1f} | {t['rate']:,.0f} | "
              f"{t['reference_rate']:,.0f} | {t['reference_rate'] / t['rate']:.1f}× | {b['count']:,} | "
              f"{b['seconds']:.1f} | {b['rate']:,.0f} |")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def run_phase(config: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from lti_tool.models import FeedDelivery, FeedEndpoint, FeedEvent, Learner
    from lti_tool.services.achievements import achievement_define
    from lti_tool.services.awards import award_issue
    from lti_tool.services.feed_endpoints import feed_endpoint_create
    from lti_tool.services.issuers import issuer_create
    from lti_tool.services.learners import learner_find_or_create
    from tests.lti_tool.feed_receiver import Receiver

    def say(message: str) -> None:
        print(f"  [{config['kind']}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", verbosity=0)
    from django.conf import settings
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    receiver = Receiver()
    count = config["count"]
    issuer = issuer_create(name="Benchmark University", url="https://bench.example.edu", email="r@bench.example.edu")
    badge = achievement_define(issuer=issuer, spec={"name": "Data Literacy", "description": "d",
                                                    "criteria": {"narrative": "c"}, "status": "active"})
    endpoint, _secret = feed_endpoint_create(issuer=issuer, name="SIS", url=receiver.url)
    template = FeedEvent.objects.get(award=award_issue(
        achievement=badge, learner=learner_find_or_create(email="t@bench.example.edu", sis_id="T0", source="bench"),
        issued_by="bench"))
    FeedDelivery.objects.all().delete()
    say(f"writing {count:,} events and their deliveries")
    learners = Learner.objects.bulk_create([Learner(display_name=f"Learner {n}") for n in range(count)],
                                           batch_size=2000)
    if connection.vendor == "sqlite":  # SQLite's bulk_create returns no primary keys before 3.35 on some builds
        learners = list(Learner.objects.exclude(pk=template.learner_id).order_by("pk"))
    now = timezone.now()
    events = FeedEvent.objects.bulk_create([
        FeedEvent(issuer=issuer, position=template.position + 1 + n, type=template.type, subject=template.subject,
                  achievement=badge, award=template.award, learner=learner, occurred_at=now, data=template.data)
        for n, learner in enumerate(learners)], batch_size=2000)
    if connection.vendor == "sqlite":
        events = list(FeedEvent.objects.exclude(pk=template.pk).order_by("position"))
    FeedDelivery.objects.bulk_create([
        FeedDelivery(endpoint=endpoint, event=event, position=event.position, learner_id=event.learner_id,
                     next_at=now) for event in events], batch_size=2000)
    if connection.vendor == "postgresql":  # as autovacuum would soon after a day of awards
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()

    say("reference: the same signed POSTs from one loop, no database")
    reference_rate = _reference(receiver, endpoint, template, min(count, 2000))
    receiver.received.clear()

    say(f"{config['workers']} runners delivering")
    env = {**os.environ, "ACCOLADE_FEED_ALLOW_PRIVATE": "1", "ACCOLADE_TASKS": "embedded"}
    start = time.perf_counter()
    runners = [subprocess.Popen([sys.executable, "manage.py", "worker", "--interval", "0.2"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for _ in range(config["workers"])]
    try:
        while True:
            left = FeedDelivery.objects.exclude(status=FeedDelivery.Status.DELIVERED).count()
            if not left:
                break
            if any(runner.poll() is not None for runner in runners):
                raise SystemExit("a runner died")
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    finally:
        for runner in runners:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(10)
        receiver.close()
    distinct = len(receiver.event_ids())
    assert distinct == count, (distinct, count)
    assert FeedEndpoint.objects.get(pk=endpoint.pk).enabled
    return {"count": count, "workers": config["workers"], "seconds": seconds, "rate": count / seconds,
            "received": len(receiver.received), "reference_rate": reference_rate}


def _reference(receiver, endpoint, event, count: int) -> float:
    """Send ``count`` signed POSTs of the event's rendered body from one loop, as fast as the receiver takes them."""
    import urllib3
    from django.utils import timezone

    from lti_tool.core.registrar.webhooks import headers
    from lti_tool.services.feed_delivery import render_for
    from lti_tool.services.feed_endpoints import feed_endpoint_secrets

    body = json.dumps(render_for(endpoint, event), separators=(",", ":")).encode()
    secrets = feed_endpoint_secrets(endpoint, timezone.now())
    pool = urllib3.PoolManager()
    start = time.perf_counter()
    for n in range(count):
        signed = headers(secrets, f"ref-{n}", int(time.time()), body)
        pool.request("POST", receiver.url, body=body, headers={**signed, "Content-Type": "application/json"})
    return count / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
