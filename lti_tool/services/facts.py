"""Record facts about learners in a course, and read them back as the criteria engine wants them.

Every source (AGS sync, NRPS sync, the XBlock and the Moodle bridge through the API, people in the
tool) records through :func:`fact_record`. A fact that changes something queues the learner for
re-evaluation in the same transaction (:class:`~lti_tool.models.PendingEvaluation`), so a crash
between the two cannot lose it. Repeats and out-of-order reports change nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..background import wake_on_commit
from ..core.criteria import facts as f
from ..models import CourseFact, Learner, LtiContext, PendingEvaluation
from .errors import ServiceError

# A source's clock may run ahead of ours by this much; later "observed" times are refused.
CLOCK_SKEW = timedelta(minutes=5)
MAX_SOURCE_LENGTH = 64
MAX_VALUE_BYTES = 4096


class FactRejectedError(ServiceError):
    """Raise when a reported fact is malformed or impossible; nothing of it is kept."""


@dataclass(frozen=True)
class Recorded:
    """What :func:`fact_record` did: ``changed`` False for a repeat or an older report.

    ``fact`` is None when a held fact was updated in place (the one-statement path).
    """

    fact: CourseFact | None
    changed: bool
    outcome: str  # "created", "updated", "duplicate", "stale"


def key_digest(key: str) -> str:
    """Return the SHA-256 hex digest of a fact key (the unique index holds digests, not long URLs)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def fact_record(*, context: LtiContext, learner: Learner, kind: str, key: str, value: dict[str, Any], source: str,
                observed_at: datetime, now: datetime | None = None) -> Recorded:
    """Keep the latest report of (kind, key) from ``source`` and queue the learner if it changed.

    Raises:
        FactRejectedError: unknown kind, malformed value, key or source too long, or an observation
            time further in the future than the allowed clock skew.
    """
    now = now or timezone.now()
    _check(kind=kind, key=key, value=value, source=source)
    if observed_at.tzinfo is None:
        raise FactRejectedError("the observation time must carry a time zone")
    if observed_at > now + CLOCK_SKEW:
        raise FactRejectedError(f"the fact is dated {observed_at.isoformat()}, in the future; check the source's clock")
    key = "" if kind in f.KEYLESS_KINDS else key
    digest = key_digest(key)
    with transaction.atomic(savepoint=False):  # nothing below is caught inside the block but the create's own
        # The common case, a new value for a fact already held, is one conditional UPDATE.
        if (CourseFact.objects.filter(context=context, learner=learner, kind=kind, key_digest=digest, source=source,
                                      observed_at__lte=observed_at).exclude(value=value)
                .update(value=value, observed_at=observed_at, recorded_at=now)):
            evaluation_request(context=context, learner=learner, reason=f"fact:{kind}", now=now)
            return Recorded(None, True, "updated")
        held = (CourseFact.objects.select_for_update()
                .filter(context=context, learner=learner, kind=kind, key_digest=digest, source=source).first())
        if held is None:
            try:
                with transaction.atomic():
                    fact = CourseFact.objects.create(
                        deployment_id=context.deployment_id, context=context, learner=learner, kind=kind, key=key,
                        key_digest=digest, source=source, value=value, observed_at=observed_at, recorded_at=now)
            except IntegrityError:  # another request recorded the same fact first: take it from there
                return fact_record(context=context, learner=learner, kind=kind, key=key, value=value, source=source,
                                   observed_at=observed_at, now=now)
            outcome = "created"
        elif observed_at < held.observed_at:
            return Recorded(held, False, "stale")
        elif held.value == value:
            if observed_at > held.observed_at:
                held.observed_at = observed_at
                held.save(update_fields=["observed_at"])
            return Recorded(held, False, "duplicate")
        else:
            held.value, held.observed_at, held.recorded_at = value, observed_at, now
            held.save(update_fields=["value", "observed_at", "recorded_at"])
            fact, outcome = held, "updated"
        evaluation_request(context=context, learner=learner, reason=f"fact:{kind}", now=now)
    return Recorded(fact, True, outcome)


def _check(*, kind: str, key: str, value: Any, source: str) -> None:
    if kind not in f.FACT_KINDS:
        raise FactRejectedError(f"unknown fact kind {kind!r}; expected one of {', '.join(f.FACT_KINDS)}")
    if not isinstance(key, str) or len(key) > f.MAX_KEY_LENGTH or (kind not in f.KEYLESS_KINDS and not key):
        raise FactRejectedError(f"a {kind} fact needs a key of 1 to {f.MAX_KEY_LENGTH} characters")
    if not isinstance(source, str) or not source or len(source) > MAX_SOURCE_LENGTH:
        raise FactRejectedError(f"source must be 1 to {MAX_SOURCE_LENGTH} characters")
    if not isinstance(value, dict) or len(repr(value)) > MAX_VALUE_BYTES:
        raise FactRejectedError(f"a fact's value must be a JSON object under {MAX_VALUE_BYTES} bytes")
    try:
        f.parse_fact(kind, value, source=source)
    except f.FactError as error:
        raise FactRejectedError(f"{kind} fact: {error}") from None


def evaluation_request(*, context: LtiContext, learner: Learner | None, reason: str,
                       now: datetime | None = None, delay: timedelta = timedelta(0)) -> None:
    """Queue a re-evaluation of ``learner`` (or the whole course).

    An open request absorbs it, but is marked as asked again (``asks``), so a worker that is
    evaluating it right now runs it once more instead of marking it done.
    """
    now = now or timezone.now()
    open_rows = PendingEvaluation.objects.filter(context=context, learner=learner, done_at__isnull=True)
    if open_rows.update(asks=F("asks") + 1):
        wake_on_commit()
        return
    try:
        with transaction.atomic():
            PendingEvaluation.objects.create(context=context, learner=learner, reason=reason[:64], created_at=now,
                                             not_before=now + delay)
    except IntegrityError:
        open_rows.update(asks=F("asks") + 1)  # another transaction queued it first
    wake_on_commit()
