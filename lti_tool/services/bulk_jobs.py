"""Bulk awards from a course page: check the file in the request, issue it in the background.

The request only checks the CSV and writes a queued :class:`BulkAwardJob`; the runner issues every
row in one transaction through the one issuing service (``award_bulk_issue``). A crash mid-run rolls
the transaction back and the expired lease lets the next sweep run the job again; a row that can no
longer be issued (someone awarded it meanwhile) fails the whole job, by line, with nothing issued.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..background import run_claimed, wake_on_commit
from ..models import Achievement, BulkAwardJob, LtiContext
from .bulk import BulkReport, BulkRow, award_bulk_issue
from .errors import ServiceError

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=30)
MAX_ATTEMPTS = 3
COURSE_MAX_ROWS = 5_000


def bulk_award_queue(*, achievement: Achievement, context: LtiContext | None, report: BulkReport,
                     requested_by: str, file_name: str = "") -> BulkAwardJob:
    """Queue a checked report for issuing and wake the runner once it commits.

    Raises:
        ServiceError: the report has problems (nothing is queued).
    """
    if report.problems:
        raise ServiceError(f"{len(report.problems)} problem(s) in the file; nothing was queued")
    rows = [{"line": row.line, "learner": row.learner_uuid, "email": row.email, "student_id": row.student_id,
             "name": row.name, "evidence": list(row.evidence), "narrative": row.narrative} for row in report.rows]
    with transaction.atomic():
        job = BulkAwardJob.objects.create(achievement=achievement, context=context, requested_by=requested_by,
                                          file_name=file_name[:255], rows=rows, next_at=timezone.now())
        wake_on_commit()
    return job


def bulk_awards_run_due(*, limit: int = 5, now: datetime | None = None) -> int:
    """Run up to ``limit`` due bulk jobs; return how many were tried."""
    return run_claimed(lambda current: BulkAwardJob.objects.filter(status=BulkAwardJob.Status.QUEUED,
                                                                   next_at__lte=current).order_by("created_at", "pk"),
                       _run, lease=LEASE, limit=limit, now=now)


class _LeaseLost(Exception):
    """Another runner took the job after this one's lease ran out."""


def _run(job: BulkAwardJob, now: datetime) -> None:
    report = BulkReport(rows=[BulkRow(line=r["line"], email=r["email"], student_id=r["student_id"], name=r["name"],
                                      evidence=tuple(r["evidence"]), narrative=r["narrative"],
                                      learner_uuid=r["learner"]) for r in job.rows])
    mine = BulkAwardJob.objects.filter(pk=job.pk, attempts=job.attempts)  # only while the lease is ours
    try:
        with transaction.atomic():  # the awards and the job's "done" commit together, while the lease is ours
            award_bulk_issue(achievement=job.achievement, report=report, issued_by=job.requested_by)
            if not mine.update(status=BulkAwardJob.Status.DONE, issued_count=len(report.issued), problem="",
                               claimed_until=None, finished_at=timezone.now()):
                raise _LeaseLost
    except _LeaseLost:
        logger.warning("bulk award job %s: lease lost to another runner; its awards were rolled back", job.uuid)
        return
    except ServiceError as error:
        mine.update(status=BulkAwardJob.Status.FAILED, problem=str(error)[:5000], claimed_until=None,
                    finished_at=timezone.now())
        logger.info("bulk award job %s failed: %s", job.uuid, error)
        return
    except Exception as error:  # e.g. the database went away: nothing was issued; try again later
        logger.exception("bulk award job %s could not run", job.uuid)
        last = job.attempts >= MAX_ATTEMPTS
        mine.update(claimed_until=None, next_at=now + timedelta(minutes=2 ** job.attempts),
                    problem=f"{type(error).__name__}: {error}"[:5000],
                    **({"status": BulkAwardJob.Status.FAILED, "finished_at": timezone.now()} if last else {}))
        return
    logger.info("bulk award job %s issued %s awards", job.uuid, len(report.issued))
