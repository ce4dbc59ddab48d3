"""The expiry sweep: each award whose ``validUntil`` has passed gets one ``credential.expired`` event.

Registrar research digest 5.1: expiry is not a change anyone makes, so a scheduled sweep finds it.
Marking the award and writing the event happen in one transaction, so a crash mid-sweep neither
loses an expiry nor reports one twice.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Award, FeedEvent
from .feed_events import award_event_record


def awards_expiry_sweep(*, limit: int = 500, now: datetime | None = None) -> int:
    """Record up to ``limit`` expiries that have happened; return how many."""
    now = now or timezone.now()
    done = 0
    due = (Award.objects.filter(expiry_recorded_at__isnull=True, valid_until__isnull=False, valid_until__lte=now,
                                revoked_at__isnull=True).order_by("valid_until", "pk").values_list("pk", flat=True))
    for pk in list(due[:limit]):
        with transaction.atomic():
            if not Award.objects.filter(pk=pk, expiry_recorded_at__isnull=True).update(expiry_recorded_at=now):
                continue  # another runner recorded it first
            award = Award.objects.select_related("achievement__issuer", "learner").get(pk=pk)
            award_event_record(award=award, type=FeedEvent.Type.EXPIRED, occurred_at=award.valid_until)
        done += 1
    return done
