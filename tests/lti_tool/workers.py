"""Background runners in processes of their own, pointed at this test database: the embedded worker
(``manage.py worker``) or Celery (``celery -A lti_tool.tasks worker --beat``) on a given broker.

Each Celery worker gets its own queue and node name (two CI suites share the brokers, and RabbitMQ
gives a node's control queue to one connection only). Stopping is ``SIGKILL`` to the whole process
group, as a crash would: the database rows hold the state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
WORKER_APPLICATION = "accolade-test-worker"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Start runner processes and kill them all at the end."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.tmp_path, self.extra_env = tmp_path, dict(env or {})
        self.queue = f"accolade-test-{os.getpid()}-{time.monotonic_ns()}"
        self.processes: list[subprocess.Popen] = []
        self.services: list[PrivateRedis] = []

    def _env(self, **more: str) -> dict[str, str]:
        url = database_url()
        if connection.vendor == "postgresql":  # the runners' connections are told apart by name
            url += f"?application_name={WORKER_APPLICATION}"
        return {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": url,
                "PYTHONPATH": str(ROOT), "ACCOLADE_CELERY_QUEUE": self.queue, **self.extra_env, **more}

    def embedded(self, *, interval: float = 0.2) -> tuple[subprocess.Popen, Path]:
        log = self.tmp_path / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(  # our own interpreter and arguments
            [sys.executable, "manage.py", "worker", "--interval", str(interval)], cwd=ROOT,
            env=self._env(ACCOLADE_TASKS="embedded"), stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self.processes.append(process)
        self._wait_for(process, log, b"worker running")
        return process, log

    def celery(self, broker_url: str, *, sweep: float) -> tuple[subprocess.Popen, Path]:
        number = len(self.processes)
        log = self.tmp_path / f"worker-{number}.log"
        process = subprocess.Popen(  # our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "lti_tool.tasks", "worker", "--beat", "--pool=solo",
             "-Q", self.queue, "-s", str(self.tmp_path / f"beat-{number}"), "--loglevel=INFO",
             "-n", f"{self.queue}-{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self._env(CELERY_BROKER_URL=broker_url, ACCOLADE_TASKS="celery",
                                    ACCOLADE_WORKER_INTERVAL=str(sweep)),
            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        self._wait_for(process, log, b" ready.")
        return process, log

    @staticmethod
    def _wait_for(process: subprocess.Popen, log: Path, marker: bytes) -> None:
        deadline = time.monotonic() + 60
        while marker not in log.read_bytes():
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker did not start: " + log.read_text()[-3000:]
            time.sleep(0.1)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """Kill a runner and everything it started, at once, as a crash would."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        for service in self.services:
            service.stop()
        for process in self.processes:
            try:
                self.kill(process)
            except ProcessLookupError:
                pass


class PrivateRedis:
    """A Redis of the test's own on a free port, so it can be restarted without touching the shared one."""

    def __init__(self, tmp_path: Path) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.tmp_path = tmp_path
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import socket

        self.process = subprocess.Popen(  # the machine's redis-server, on a port of our own
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
