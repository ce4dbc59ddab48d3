"""One database's share of the launch benchmark, run by benchmarks/lti_launch.py in a fresh process.

Usage: python -m benchmarks.lti_phase '<json config>' (built by ``lti_launch.run_phase``). The process
configures Django for the scratch database it is given (``benchmarks.lti_settings``), migrates it, seeds
one platform registration + active deployment + issuer + badge for our tool, then:

1. in-process: every route through Django's test client, one thread, interleaved rounds;
2. over HTTP: starts gunicorn (2 sync workers, same settings and database) on a free port and drives
   every route with N client threads, interleaved rounds;
   with ``conn_max_age`` set and the settings doing the opposite (closing connections after every
   request, or keeping them), a second gunicorn with that ``CONN_MAX_AGE`` serves ours and the
   reference too, in the same interleaved rounds;
3. optionally profiles our exchange and the reference's with cProfile.

Progress goes to stderr; the last line on stdout is the JSON result.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import pstats
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.lti_exchange import DjangoClientBrowser, HttpBrowser, Route, exchange
from benchmarks.lti_platform import (
    AUTH_LOGIN_URL,
    AUTH_TOKEN_URL,
    DEPLOYMENT_ID,
    ISSUER,
    OURS_CLIENT_ID,
    REFERENCE_CLIENT_ID,
    JwksProcess,
    Platform,
)
from benchmarks.lti_profile import summarize_profile
from benchmarks.lti_stats import LaunchRound, summarize

ROOT = Path(__file__).resolve().parent.parent
BADGE_NAME = "Launch Benchmark Badge"
_STARTED = time.perf_counter()


def say(message: str) -> None:
    print(f"  [{os.environ.get('ACCOLADE_BENCH_DB', '?')} {time.perf_counter() - _STARTED:5.1f} s] {message}",
          file=sys.stderr, flush=True)


def configure_django(config: dict[str, Any], jwks_url: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "benchmarks.lti_settings",
        "DATABASE_URL": config["database_url"],
        "ACCOLADE_VAR_DIR": config["workdir"],
        "ACCOLADE_BENCH_PUBLIC_URL": "http://testserver",
        "ACCOLADE_BENCH_REFERENCE": json.dumps({
            "issuer": ISSUER, "client_id": REFERENCE_CLIENT_ID, "auth_login_url": AUTH_LOGIN_URL,
            "auth_token_url": AUTH_TOKEN_URL, "key_set_url": jwks_url, "deployment_ids": [DEPLOYMENT_ID]}),
    })
    import django

    django.setup()


def seed(jwks_url: str) -> str:
    """Register the platform with our tool (active registration and deployment); return the badge's UUID."""
    from lti_tool.models import LtiDeployment, LtiPlatform, LtiRegistration
    from lti_tool.services.achievements import achievement_define
    from lti_tool.services.issuers import issuer_create

    issuer = issuer_create(name="Launch Bench University", url="https://bench.example.edu",
                           email="registrar@bench.example.edu")
    platform = LtiPlatform.objects.create(issuer=ISSUER, name="Moodle (benchmark)", family="moodle")
    registration = LtiRegistration.objects.create(
        platform=platform, client_id=OURS_CLIENT_ID, status=LtiRegistration.Status.ACTIVE,
        auth_login_url=AUTH_LOGIN_URL, auth_token_url=AUTH_TOKEN_URL, key_set_url=jwks_url)
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id=DEPLOYMENT_ID,
                                              status=LtiDeployment.Status.ACTIVE, issuer=issuer, name="Benchmark")
    achievement = achievement_define(issuer=issuer, deployment=deployment, spec={
        "name": BADGE_NAME, "description": "Opened the tool from the course.",
        "criteria": {"narrative": "Launch the activity from Moodle."}, "status": "active"})
    return str(achievement.uuid)


def routes() -> list[Route]:
    return [
        Route("ours", "ours (Accolade)", "/lti/login", "/lti/launch", OURS_CLIENT_ID, BADGE_NAME.encode()),
        Route("ref", "pylti1p3 reference, key set cached", "/ref/login", "/ref/launch", REFERENCE_CLIENT_ID,
              b"pylti1p3 reference launch"),
        Route("ref_uncached", "pylti1p3 reference, key set fetched per launch (library default)", "/ref/login",
              "/ref/launch-uncached", REFERENCE_CLIENT_ID, b"pylti1p3 reference launch"),
    ]


@dataclass
class Phase:
    config: dict[str, Any]
    platform: Platform
    jwks: JwksProcess
    badge: str

    def __post_init__(self) -> None:
        self.subs = itertools.cycle([str(1000 + i) for i in range(self.config["pool"])])

    def run(self, browser: DjangoClientBrowser | HttpBrowser, route: Route) -> Any:
        return exchange(browser, route, self.platform, sub=next(self.subs), badge=self.badge)


def query_counts(phase: Phase, route: Route) -> list[dict[str, int]]:
    """Count the SQL statements of each request of one exchange (login, launch, landing page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    inner = DjangoClientBrowser()
    counts: list[dict[str, int]] = []

    class Counting:
        base = inner.base

        def request(self, *args, **kwargs):
            with CaptureQueriesContext(connection) as captured:
                reply = inner.request(*args, **kwargs)
            verbs = [q["sql"].lstrip().split(None, 1)[0].upper() for q in captured.captured_queries]
            counts.append({"statements": len(verbs), "select": verbs.count("SELECT"),
                           "write": sum(v in ("INSERT", "UPDATE", "DELETE") for v in verbs),
                           "savepoint": sum(v in ("SAVEPOINT", "RELEASE", "ROLLBACK") for v in verbs)})
            return reply

    phase.run(Counting(), route)
    return counts


def in_process_round(fn: Callable[[], Any], seconds: float) -> LaunchRound:
    perf = time.perf_counter
    samples = []
    cpu = time.process_time()
    start = perf()
    end = start + seconds
    while perf() < end:
        samples.append(fn())
    return LaunchRound(samples=samples, wall=perf() - start, cpu=time.process_time() - cpu)


def process_cpu(pids: list[int]) -> float:
    """Return user + system CPU seconds of these processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


class Gunicorn:
    """gunicorn with sync workers on a free port, same settings and database as this process (``env`` added)."""

    def __init__(self, *, cpus: str | None, workers: int, env: dict[str, str] | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(ROOT), "--log-level", "warning", "--timeout", "120", "lti_tool.wsgi:application"]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        self._process = subprocess.Popen(command, cwd=ROOT, env={
            **os.environ, "ACCOLADE_BENCH_PUBLIC_URL": f"http://127.0.0.1:{self.port}", **(env or {})})
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/lti/jwks", timeout=2):
                    break
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children").read_text().split()
        return [self._process.pid, *map(int, children)]

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)


def http_round(phase: Phase, route: Route, server: Gunicorn, seconds: float, threads: int) -> LaunchRound:
    """Drive ``route`` over HTTP with ``threads`` client threads for ``seconds``; gunicorn's CPU is measured."""
    perf = time.perf_counter
    per_thread: list[list[Any]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def worker(samples: list[Any]) -> None:
        browser = HttpBrowser("127.0.0.1", server.port)
        barrier.wait()
        end = perf() + seconds
        try:
            while perf() < end:
                samples.append(phase.run(browser, route))
        except BaseException as error:  # reported after the round
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(samples,)) for samples in per_thread]
    for thread in pool:
        thread.start()
    pids = server.pids()
    cpu, client_cpu = process_cpu(pids), time.process_time()
    barrier.wait()
    start = perf()
    for thread in pool:
        thread.join()
    wall = perf() - start
    if errors:
        raise errors[0]
    return LaunchRound(samples=[s for samples in per_thread for s in samples], wall=wall,
                       cpu=process_cpu(pids) - cpu, client_cpu=time.process_time() - client_cpu)


def interleave(items: list[tuple[str, Callable[[float], Any]]], rounds: int, seconds: float,
               phase: Phase) -> dict[str, Any]:
    """Run ``rounds`` rounds of every (key, round function), the order rotated each round; count key set fetches."""
    results: dict[str, list[Any]] = {key: [] for key, _ in items}
    fetches = dict.fromkeys(results, 0)
    for index in range(rounds):
        shift = index % len(items)
        for key, run_round in items[shift:] + items[:shift]:
            before = phase.jwks.fetches()
            results[key].append(run_round(seconds))
            fetches[key] += phase.jwks.fetches() - before
    return {"rounds": results, "fetches": fetches}


def profile(phase: Phase, route: Route, calls: int) -> dict[str, Any]:
    """cProfile ``calls`` in-process exchanges of a route; return own time by package, named costs, top functions."""
    browser = DjangoClientBrowser()
    # Wall time (cProfile's default, cheap to read): a CPU-time timer is a system call per event and inflates
    # small functions ~8x; the price is that on a busy machine a preempted function absorbs the pause.
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(calls):
        phase.run(browser, route)
    profiler.disable()
    wall = time.perf_counter() - start
    return summarize_profile(pstats.Stats(profiler), route=route.key, calls=calls, wall=wall)


def row_counts() -> dict[str, int]:
    from django.contrib.sessions.models import Session

    from lti_tool.models import LtiLaunch, LtiOidcState, LtiUsedNonce, LtiUser

    return {"lti_oidc_state": LtiOidcState.objects.count(), "lti_used_nonce": LtiUsedNonce.objects.count(),
            "lti_launch": LtiLaunch.objects.count(), "lti_user": LtiUser.objects.count(),
            "django_session": Session.objects.count()}


def main() -> None:
    config = json.loads(sys.argv[1])
    os.environ["ACCOLADE_BENCH_DB"] = config["database"]
    platform = Platform()
    jwks = JwksProcess(platform.jwks, cpus=config["client_cpus"])
    try:
        result = run_phase(config, platform, jwks)
    finally:
        jwks.close()
    print(json.dumps(result))


def run_phase(config: dict[str, Any], platform: Platform, jwks: JwksProcess) -> dict[str, Any]:
    configure_django(config, jwks.url)
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    phase = Phase(config=config, platform=platform, jwks=jwks, badge=seed(jwks.url))
    say(f"migrated and seeded in {time.perf_counter() - started:.1f} s ({connection.vendor} "
        f"{'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else ''}"
        f"{connection.pg_version if connection.vendor == 'postgresql' else ''})")
    route_list = routes()
    browser = DjangoClientBrowser()
    browser.request("GET", "/lti/jwks", None, {})  # Django's first request (URL resolver, middleware) done here
    first = {}
    for route in route_list:  # the first launch of each: fetches the key set, creates the first learner
        begin = time.perf_counter()
        phase.run(browser, route)
        first[route.key] = 1000 * (time.perf_counter() - begin)
    for _ in range(config["pool"]):  # every learner of the pool launches once: returning learners from now on
        for route in route_list:
            phase.run(browser, route)
    queries = {route.key: query_counts(phase, route) for route in route_list}
    for route in route_list:
        end = time.perf_counter() + config["warmup"]
        while time.perf_counter() < end:
            phase.run(browser, route)
    say("in-process rounds (Django test client), after the first launches and warm-up")
    per_round = config["seconds"] / config["rounds"]
    in_process = interleave(
        [(route.key, lambda seconds, route=route: in_process_round(lambda: phase.run(browser, route), seconds))
         for route in route_list], config["rounds"], per_round, phase)
    profiles = {}
    if config["profile"]:
        say("profiling")
        profiles = {route.key: profile(phase, route, config["profile_calls"]) for route in route_list[:2]}
    connection.close()

    say(f"gunicorn ({config['workers']} sync workers) and {config['threads']} client threads")
    from django.conf import settings

    configured, wanted = settings.DATABASES["default"].get("CONN_MAX_AGE", 0), config["conn_max_age"]
    servers = [("", Gunicorn(cpus=config["server_cpus"], workers=config["workers"]), route_list)]
    try:
        if wanted is not None and (configured == 0) != (wanted == 0):  # second gunicorn, the other way round
            servers.append((f"@{config['conn_max_age']}", Gunicorn(
                cpus=config["server_cpus"], workers=config["workers"],
                env={"ACCOLADE_BENCH_CONN_MAX_AGE": str(config["conn_max_age"])}), route_list[:2]))
        items = [(route.key + suffix, lambda seconds, route=route, server=server: http_round(
            phase, route, server, seconds, config["threads"]))
            for suffix, server, served in servers for route in served]
        for _key, run_round in items:
            run_round(config["warmup"])
        say("HTTP rounds, after the warm-up")
        over_http = interleave(items, config["rounds"], per_round, phase)
    finally:
        for _suffix, server, _served in servers:
            server.close()
    say("done")
    return {
        "database": config["database"],
        "vendor": connection.vendor,
        "conn_max_age": configured,
        "first_launch_ms": first,
        "queries": queries,
        "in_process": {key: summarize(rounds, over_http=False) for key, rounds in in_process["rounds"].items()},
        "in_process_fetches": in_process["fetches"],
        "http": {key: summarize(rounds, over_http=True) for key, rounds in over_http["rounds"].items()},
        "http_fetches": over_http["fetches"],
        "rows": row_counts(),
        "profiles": profiles,
    }


if __name__ == "__main__":
    main()
