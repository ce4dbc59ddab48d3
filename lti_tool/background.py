"""Background work: what is due, who runs it, and how the web process wakes them.

The database holds every piece of pending work (``PendingEvaluation`` rows, later feed events and
syncs). Runners only look for due rows and run them, so a lost wake-up message, a restarted broker
or a killed worker delays work but never loses it: the next sweep finds the rows.

Two runners, chosen by ``ACCOLADE["TASKS"]``:

* ``embedded`` (default): :class:`EmbeddedWorker`, a thread in the process that serves the site
  (``manage.py demo`` starts one) or in ``manage.py worker``; woken at once on commit, and sweeping
  every ``WORKER_INTERVAL`` seconds.
* ``celery``: Celery workers on Redis or RabbitMQ (:mod:`lti_tool.tasks`); a commit sends the
  ``lti_tool.run_due_work`` task, and Celery beat sends it every ``WORKER_INTERVAL`` seconds as the
  sweep that catches lost messages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connections, transaction
from django.db.models import Q, QuerySet

from .conf import tool_settings

logger = logging.getLogger(__name__)


def _due_work() -> list[tuple[str, Callable[..., int]]]:
    from .services.bulk_jobs import bulk_awards_run_due
    from .services.criteria import evaluations_run_due
    from .services.expiry import awards_expiry_sweep
    from .services.feed_delivery import feed_deliveries_run_due
    from .services.feed_sftp import sftp_drops_run_due
    from .services.gradebook import gradebook_scores_run_due
    from .services.lms_sync import lms_syncs_run_due
    return [("lms_syncs", lms_syncs_run_due), ("evaluations", evaluations_run_due),
            ("gradebook_scores", gradebook_scores_run_due), ("bulk_awards", bulk_awards_run_due),
            ("expiry_sweep", awards_expiry_sweep), ("feed_deliveries", feed_deliveries_run_due),
            ("sftp_drops", sftp_drops_run_due)]


def claim_due(due: QuerySet, *, now: datetime, lease: timedelta, **also: Any) -> Any | None:
    """Take the first row of ``due`` that no live lease holds: a compare-and-set UPDATE, portable to SQLite.

    ``due`` must already exclude finished rows and order them; the row's ``attempts`` is the version
    that makes two workers' UPDATEs exclusive. Returns the claimed row, or None.
    """
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    for pk, attempts in due.filter(free).values_list("pk", "attempts")[:5]:
        taken = due.order_by().filter(free, pk=pk, attempts=attempts).update(  # still due, still free
            claimed_until=now + lease, attempts=attempts + 1, **also)
        if taken:
            return due.model.objects.get(pk=pk)
    return None


def run_claimed(due: Callable[[datetime], QuerySet], handle: Callable[[Any, datetime], None], *, lease: timedelta,
                limit: int, now: datetime | None = None, **also: Any) -> int:
    """Claim due rows one at a time (:func:`claim_due`) and hand each to ``handle``; return how many.

    ``due(now)`` gives the rows due at ``now``; ``handle(row, now)`` does the work and records its
    outcome (success, or the error and when to try again) on the row, releasing the lease.
    """
    from django.utils import timezone

    handled = 0
    while handled < limit:
        current = now or timezone.now()
        row = claim_due(due(current), now=current, lease=lease, **also)
        if row is None:
            break
        handled += 1
        handle(row, current)
    return handled


def run_due_work(*, limit: int = 200) -> dict[str, int]:
    """Run what is due now, up to ``limit`` items of each kind; return how many of each ran."""
    done = {}
    for name, run in _due_work():
        try:
            done[name] = run(limit=limit)
        except Exception:  # one kind failing must not stop the others; its rows stay due
            logger.exception("background work %s failed", name)
            done[name] = 0
    return done


def wake_on_commit() -> None:
    """Wake a runner once the current transaction commits (now, outside a transaction)."""
    transaction.on_commit(wake)


def wake() -> None:
    """Tell a runner there is work; never blocks, and failure only delays the work to the next sweep."""
    if tool_settings.TASKS == "celery":
        _CelerySender.nudge()
    else:
        _WAKE.set()


_WAKE = threading.Event()


class _CelerySender(threading.Thread):
    """Send wake-up tasks from a thread of their own, so a slow or absent broker never holds a request.

    Wake-ups that arrive while one is being sent fold into the next: one task runs all due work.
    """

    _instance: _CelerySender | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__(name="accolade-wake-sender", daemon=True)
        self.pending = threading.Event()
        self.sent = 0

    @classmethod
    def nudge(cls) -> None:
        with cls._lock:
            if cls._instance is None or not cls._instance.is_alive():
                cls._instance = cls()
                cls._instance.start()
            cls._instance.pending.set()

    def run(self) -> None:
        while True:
            self.pending.wait()
            self.pending.clear()
            try:
                from .tasks import run_due_work_task
                run_due_work_task.apply_async(retry=False)
                self.sent += 1
            except Exception as error:  # broker down: the beat sweep will find the rows
                logger.warning("could not send the wake-up task (%s); the next sweep will run the work", error)


class EmbeddedWorker(threading.Thread):
    """Run due work in a daemon thread: at once when woken, else every ``interval`` seconds."""

    def __init__(self, *, interval: float | None = None, limit: int = 200) -> None:
        super().__init__(name="accolade-worker", daemon=True)
        self.interval = float(interval if interval is not None else tool_settings.WORKER_INTERVAL)
        self.limit = limit
        self.stopping = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                _WAKE.clear()
                close_old_connections()
                try:
                    done = run_due_work(limit=self.limit)
                finally:
                    close_old_connections()
                self.rounds += 1
                if any(count >= self.limit for count in done.values()):
                    continue  # more is waiting: go on without sleeping
                _WAKE.wait(self.interval)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        _WAKE.set()
        self.join(timeout)
