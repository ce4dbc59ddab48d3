"""manage.py worker: run background work (criteria evaluation) in the foreground, without Celery."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from ...background import EmbeddedWorker, run_due_work


class Command(BaseCommand):
    help = "Run due background work until stopped (or once with --once); the embedded alternative to Celery."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, print counts, and exit")
        parser.add_argument("--interval", type=float, default=None,
                            help="Seconds between sweeps (default: ACCOLADE_WORKER_INTERVAL, 30)")

    def handle(self, *args, **options):
        if options["once"]:
            done = run_due_work()
            self.stdout.write(", ".join(f"{name}: {count}" for name, count in done.items()))
            return
        worker = EmbeddedWorker(interval=options["interval"])
        signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
        self.stdout.write(f"Accolade worker running (sweep every {worker.interval:g} s); Ctrl-C to stop.")
        worker.start()
        try:
            while worker.is_alive():
                worker.join(1.0)
                if worker.stopping.is_set():
                    worker.stop()
        except KeyboardInterrupt:
            worker.stop()
