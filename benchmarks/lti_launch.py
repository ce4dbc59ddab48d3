"""LTI 1.3 launches per second and p50/p99 latency, ours against a bare pylti1p3 tool, SQLite and PostgreSQL.

Usage: .venv/bin/python benchmarks/lti_launch.py [--quick] [--seconds S] [--rounds R] [--threads N]
       [--databases sqlite,postgresql] [--postgres URL] [--cpu N] [--server-cpus LIST] [--no-pin]
       [--no-profile] [--conn-max-age N|off] [--json FILE]

One exchange = OIDC login initiation (POST /lti/login) → the platform signs an id_token → POST /lti/launch
→ 303 → GET the landing page. Each database gets a fresh process (benchmarks/lti_phase.py) and a scratch
database (a SQLite file in a temporary directory; a PostgreSQL database created here and dropped after)
and runs every route in-process through Django's test client and over HTTP against gunicorn. See
benchmarks/README.md ("LTI launches") for the method and how to read the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)  # import as the package ``benchmarks``; never shadow by module name
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.lti_stats import paired_ratio  # noqa: E402
from benchmarks.timing import format_ms, format_ratio, table  # noqa: E402

ROUTE_LABELS = {"ours": "ours (Accolade)", "ref": "pylti1p3, key set cached",
                "ref_uncached": "pylti1p3 stock, key set fetched per launch"}
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (~30 s): 0.6 s per route in 3 rounds")
    parser.add_argument("--seconds", type=float, help="timed seconds per route and mode (default 6, quick 0.6)")
    parser.add_argument("--rounds", type=int, help="rounds per route (default 6, quick 3)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per route and mode (default 1, quick 0.2)")
    parser.add_argument("--threads", type=int, default=4, help="HTTP client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--pool", type=int, help="distinct learners launching in turn (default 100, quick 10)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres", default=os.environ.get("ACCOLADE_BENCH_POSTGRES",
                                                             "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server to create the scratch database on (a URL naming any database)")
    parser.add_argument("--cpu", type=int, default=0,
                        help="CPU of the client side: in-process runs, HTTP client, platform (default 0)")
    parser.add_argument("--server-cpus", help="CPUs gunicorn may use, as taskset -c takes them (default: all)")
    parser.add_argument("--conn-max-age", type=conn_max_age, default="auto",
                        help="also serve ours and the reference from a second gunicorn with this CONN_MAX_AGE where "
                             "the settings do the opposite (they keep connections for DB_CONN_MAX_AGE, default 60 s); "
                             "default 0, a new connection per request (quick: off), 'off' for none")
    parser.add_argument("--no-pin", action="store_true", help="pin nothing")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile of one in-process path")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    args = parser.parse_args()
    args.seconds = args.seconds or (0.6 if args.quick else 6.0)
    args.rounds = args.rounds or (3 if args.quick else 6)
    args.warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 1.0)
    args.pool = args.pool or (10 if args.quick else 100)
    if args.conn_max_age == "auto":
        args.conn_max_age = None if args.quick else 0
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - set(DATABASE_LABELS)
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    return args


def conn_max_age(value: str) -> int | str | None:
    if value in ("off", "auto"):
        return None if value == "off" else value
    seconds = int(value)
    if seconds < 0:
        raise argparse.ArgumentTypeError("CONN_MAX_AGE must be 0 or more seconds (or 'off')")
    return seconds


def cpu_layout(args: argparse.Namespace) -> tuple[str | None, str | None, str]:
    """Return (client CPUs, server CPUs, description) for taskset -c."""
    if args.no_pin:
        return None, None, "not pinned (--no-pin)"
    if not shutil.which("taskset") or not hasattr(os, "sched_getaffinity"):
        return None, None, "not pinned (taskset not found)"
    allowed = sorted(os.sched_getaffinity(0))
    if args.cpu not in allowed:
        raise SystemExit(f"--cpu {args.cpu} is not one of the allowed CPUs {allowed}")
    server = args.server_cpus or ",".join(map(str, allowed))
    return str(args.cpu), server, (f"client side (in-process runs, HTTP client threads, platform signing, key set "
                                   f"server) pinned to CPU {args.cpu}; gunicorn allowed CPUs {server}; the "
                                   f"database server not pinned")


class ScratchDatabase:
    """A database created for one phase and removed after it."""

    def __init__(self, kind: str, args: argparse.Namespace) -> None:
        self.kind = kind
        self._workdir = tempfile.TemporaryDirectory(prefix="accolade-lti-bench-")
        self.workdir = self._workdir.name
        self._admin_url = None
        if kind == "sqlite":
            self.url = f"sqlite:///{self.workdir}/launch.sqlite3"
            return
        import psycopg

        self.name = f"accolade_bench_lti_{os.getpid()}"
        self._admin_url = args.postgres
        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            connection.execute(f'CREATE DATABASE "{self.name}"')
        parts = urlsplit(self._admin_url)
        self.url = urlunsplit((parts.scheme, parts.netloc, "/" + self.name, parts.query, ""))

    def close(self) -> None:
        if self._admin_url is not None:
            import psycopg

            with psycopg.connect(self._admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._workdir.cleanup()


def run_phase(kind: str, args: argparse.Namespace, client: str | None, server: str | None) -> dict[str, Any]:
    database = ScratchDatabase(kind, args)
    try:
        config = {"database": kind, "database_url": database.url, "workdir": database.workdir,
                  "seconds": args.seconds, "rounds": args.rounds, "warmup": args.warmup, "threads": args.threads,
                  "workers": args.workers, "pool": args.pool, "conn_max_age": args.conn_max_age,
                  "client_cpus": client, "server_cpus": server,
                  "profile": not args.no_profile and kind == args.databases[0],
                  "profile_calls": 20 if args.quick else 200}
        command = [sys.executable, "-m", "benchmarks.lti_phase", json.dumps(config)]
        if client is not None:
            command = ["taskset", "-c", client, *command]
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        if completed.returncode != 0:
            raise SystemExit(f"the {DATABASE_LABELS[kind]} phase failed (exit {completed.returncode})")
        return json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        database.close()


def modes(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return (mode label, summaries by route key): in-process, HTTP, and HTTP with --conn-max-age if run."""
    found = [("in-process", result["in_process"]),
             ("HTTP", {k: v for k, v in result["http"].items() if "@" not in k})]
    kept = {k.split("@")[0]: v for k, v in result["http"].items() if "@" in k}
    if kept:
        age = next(k for k in result["http"] if "@" in k).split("@")[1]
        found.append((f"HTTP, CONN_MAX_AGE={age}", kept))
    return found


def render_main(results: list[dict[str, Any]]) -> str:
    rows = []
    for index in range(3):
        for result in results:
            if index >= len(modes(result)):
                continue
            mode, summaries = modes(result)[index]
            ref = summaries["ref"]
            for key, s in summaries.items():
                rows.append([f"{ROUTE_LABELS[key]}, {mode}", DATABASE_LABELS[result["database"]],
                             f"{s['launches_per_s']:,.0f}", format_ms(s["p50_ms"]), format_ms(s["p99_ms"]),
                             format_ms(s["e2e_p50_ms"]), f"{s['cpu_ms_per_launch']:.1f}", f"{s['spread_pct']:.0f}%",
                             format_ratio(paired_ratio(s["rates"], ref["rates"])),
                             format_ratio(ref["cpu_ms_per_launch"] / s["cpu_ms_per_launch"])])
    headers = ["route", "database", "launches/s", "p50 ms", "p99 ms", "e2e p50", "CPU ms", "spread", "x ref",
               "x ref CPU"]
    return table(headers, rows, align="llrrrrrrrr")


def render_steps(results: list[dict[str, Any]]) -> str:
    rows = []
    for result in results:
        for key in ("ours", "ref"):
            for index, (mode, summaries) in enumerate(modes(result)):
                s = summaries[key]
                steps = s["steps_ms"]
                row = [f"{ROUTE_LABELS[key]}, {mode}", DATABASE_LABELS[result["database"]],
                       format_ms(steps["login"]), format_ms(steps["launch"]), format_ms(steps["landing"]),
                       format_ms(steps["platform"])]
                row.append(" / ".join(f"{q['statements']} ({q['write']}w {q['savepoint']}sp)"
                                      for q in result["queries"][key]) if index == 0
                           else f"server {s['cpu_ms_per_launch']:.1f} ms CPU, client "
                           f"{s['client_cpu_ms_per_launch']:.1f} ms")
                rows.append(row)
    headers = ["route", "database", "login", "launch", "landing", "platform", "SQL per step / server CPU"]
    return table(headers, rows, align="llrrrrl")


def render_profile(profile: dict[str, Any], title: str) -> list[str]:
    lines = [f"{title}: {profile['calls']} exchanges under cProfile ({profile['ms_per_launch_profiled']:.1f} ms "
             "each, profiled). Own time by package (C calls count for their caller):"]
    lines += [f"  {100 * item['share']:5.1f}%  {item['group']}" for item in profile["groups"] if item["share"] >= 0.005]
    lines.append("  named costs, cumulative (they overlap):")
    lines += [f"  {100 * item['share']:5.1f}%  {item['label']}  ({item['calls_per_launch']:.1f} calls/launch)"
              for item in profile["named"]]
    return lines


def main() -> None:
    args = parse_args()
    client, server, layout = cpu_layout(args)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    print(f"Accolade LTI launch benchmark - {platform.node()}: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, Django {metadata.version('Django')}, PyLTI1p3 "
          f"{metadata.version('PyLTI1p3')}, PyJWT {metadata.version('PyJWT')}, gunicorn "
          f"{metadata.version('gunicorn')}, psycopg {metadata.version('psycopg')}")
    print(f"{layout}; {args.seconds:g} s per route and mode in {args.rounds} interleaved rounds after "
          f"{args.warmup:g} s of warm-up; {args.pool} learners launching in turn; HTTP: gunicorn {args.workers} "
          f"sync workers, {args.threads} client threads"
          + (f"; a second gunicorn with CONN_MAX_AGE={args.conn_max_age} where the settings differ"
             if args.conn_max_age is not None else ""),
          flush=True)
    results = []
    for kind in args.databases:
        try:
            results.append(run_phase(kind, args, client, server))
        except Exception as error:  # e.g. PostgreSQL not reachable: say so, keep the other figures
            if kind != "postgresql":
                raise
            print(f"PostgreSQL skipped: {type(error).__name__}: {error}", flush=True)
    load_after = os.getloadavg()[0]
    if not results:
        raise SystemExit("no database ran")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                        indent=1))

    print()
    print("Full exchange: login + launch + landing page. p50/p99 = the tool's three requests; e2e = with the "
          "platform's id_token signing. CPU ms = per launch, of this process in-process (tool, test client, "
          "platform) or of gunicorn over HTTP (database server not counted). x ref = throughput against pylti1p3 "
          "with the key set cached, same database and mode: median of per-round ratios; x ref CPU = the same by CPU "
          "time (steadier when the machine is busy).")
    print(render_main(results))
    print()
    print("Median ms per step (platform = build and RS256-sign the id_token); SQL statements per request "
          "(login / launch / landing; w = INSERT/UPDATE/DELETE, sp = SAVEPOINT/RELEASE) in-process; over HTTP, "
          "CPU per launch of gunicorn (master + workers) and of the client process:")
    print(render_steps(results))
    print()
    for result in results:
        name = DATABASE_LABELS[result["database"]]
        first = ", ".join(f"{ROUTE_LABELS[k]} {v:.1f} ms" for k, v in result["first_launch_ms"].items())
        fetched = {k: result["http_fetches"][k] / result["http"][k]["launches"] for k in ROUTE_LABELS}
        print(f"{name}: CONN_MAX_AGE {result['conn_max_age']} in the settings; first launch (cold: key set fetch, "
              f"first learner): {first}")
        print(f"{name}: key set fetches per launch over HTTP: "
              + ", ".join(f"{ROUTE_LABELS[k]} {v:.3f}" for k, v in fetched.items()))
        print(f"{name}: rows at the end: " + ", ".join(f"{k} {v:,}" for k, v in result["rows"].items()))
    for result in results:
        for key, profile in result["profiles"].items():
            print()
            for line in render_profile(profile, f"Profile, {ROUTE_LABELS[key]}, in-process, "
                                       f"{DATABASE_LABELS[result['database']]}"):
                print(line)
            if key == "ours":
                print("  top functions by own time:")
                for item in profile["top"][:10]:
                    print(f"  {100 * item['share']:5.1f}%  {item['function']}  ({item['calls_per_launch']:.1f}/launch)")
    print()
    print(f"Load average (1 min): {load_before:.2f} at start, {load_after:.2f} at end"
          + (" - other processes were busy; trust the paired ratios more than the absolute figures"
             if max(load_before, load_after) > 1.2 else "")
          + f"; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
