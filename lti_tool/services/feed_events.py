"""Write the registrar feed's outbox: one event per change, inside the change's own transaction.

Registrar research digest 5.1 (event types), 5.2 (payload) and 5.4 (outbox): the event row and the
award (or revocation, or catalog change) commit together or not at all, so a crash after commit
loses nothing and delivery can start from the database at any time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from ..core.timefmt import format_datetime
from ..models import Achievement, Award, FeedCounter, FeedEvent, Issuer, Learner
from .errors import ServiceError
from .learners import identities_for, lms_accounts_for


def feed_event_record(*, type: str, issuer: Issuer, subject: str, data: dict[str, Any], occurred_at: datetime,
                      achievement: Achievement | None = None, award: Award | None = None,
                      learner: Learner | None = None) -> FeedEvent:
    """Record one event with the issuer's next position; call it last in the change's transaction.

    The counter's row lock is held until the caller commits, which is what keeps positions in commit
    order; calling it last keeps that lock short.

    Raises:
        ServiceError: called outside a transaction (the event could commit without its change).
    """
    if not transaction.get_connection().in_atomic_block:
        raise ServiceError("a feed event must be written in the transaction of its change")
    position = _next_position(issuer)
    event = FeedEvent.objects.create(issuer=issuer, position=position, type=type, subject=subject, data=data,
                                     occurred_at=occurred_at, achievement=achievement, award=award, learner=learner)
    from .feed_delivery import deliveries_plan  # the plan is part of writing the event
    deliveries_plan(event=event)
    return event


_deferred = threading.local()


@contextmanager
def feed_events_at_end() -> Iterator[None]:
    """Hold back the award events of the block and write them as it ends, still in its transaction.

    For long transactions (a bulk issue of thousands): the issuer's feed counter is then locked once,
    last and briefly, instead of from the first award to the commit, which kept every other award
    of the issuer waiting and, taken before award rows, could deadlock with the expiry sweep.
    """
    if getattr(_deferred, "items", None) is not None:  # already inside one
        yield
        return
    _deferred.items = []
    try:
        yield
        items = _deferred.items
    finally:
        _deferred.items = None
    for item in items:
        award_event_record(**item)


def award_event_record(*, award: Award, type: str, occurred_at: datetime, reason: str = "") -> FeedEvent | None:
    """Record an award's change (awarded, revoked, expired, reissued) with a snapshot of what it is now.

    Inside :func:`feed_events_at_end` the event is written when the block ends (None is returned).
    """
    if getattr(_deferred, "items", None) is not None:
        _deferred.items.append({"award": award, "type": type, "occurred_at": occurred_at, "reason": reason})
        return None
    data = {
        "credential": _credential(award, expired=type == FeedEvent.Type.EXPIRED),
        "achievement": achievement_summary(award.achievement),
        "learner": learner_summary(award.learner, issuer=award.achievement.issuer),
        "context": _context(award),
        "awardedBy": {"kind": award.source, "by": award.issued_by},
    }
    if reason:
        data["reason"] = reason
    return feed_event_record(type=type, issuer=award.achievement.issuer, subject=award.public_id, data=data,
                             occurred_at=occurred_at, achievement=award.achievement, award=award,
                             learner=award.learner)


def achievement_summary(achievement: Achievement) -> dict[str, Any]:
    """Return the catalog facts a registrar maps an achievement by (no learner data)."""
    return {
        "id": achievement.public_id, "name": achievement.name, "humanCode": achievement.human_code,
        "achievementType": achievement.achievement_type,
        "creditsAvailable": float(achievement.credits_available) if achievement.credits_available is not None
        else None,
        "creditType": achievement.credit_type, "catalogStatus": achievement.status,
        "sisCode": achievement.sis_code, "version": achievement.version,
    }


def learner_summary(learner: Learner, *, issuer: Issuer) -> dict[str, Any]:
    """Return the identifiers ``issuer`` knows a learner by, with their kind, scope and source.

    Student (SIS) ids of other institutions are left out, and so are LMS student ids from
    platforms the issuer has no deployment on. Destinations then drop the kinds their settings do
    not let leave (digest 4.2, data minimisation).
    """
    identities = sorted(identities_for(learner, issuer), key=lambda i: (i.kind, i.scope, i.value))
    identifiers = [{"type": i.kind, "value": i.value, "scope": i.scope, "source": i.source} for i in identities]
    lis_ids = [account.lis_person_sourcedid for account in lms_accounts_for(learner, issuer)
               if account.lis_person_sourcedid]
    for value in sorted(set(lis_ids)):
        identifiers.append({"type": "lisSourcedId", "value": value, "scope": "", "source": "lti-lis"})
    matched = any(i["type"] in ("sisSourcedId", "lisSourcedId") for i in identifiers)
    return {"id": learner.subject_id, "name": learner.display_name, "identifiers": identifiers,
            "matchStatus": "matched" if matched else "unmatched"}


def _credential(award: Award, *, expired: bool = False) -> dict[str, Any]:
    base = award.achievement.issuer.base_url.rstrip("/")
    status = "revoked" if award.revoked_at else "expired" if expired else "active"
    return {"id": award.public_id, "status": status, "validFrom": format_datetime(award.valid_from),
            "validUntil": format_datetime(award.valid_until) if award.valid_until else None,
            "awardedDate": format_datetime(award.awarded_date),
            "verifyUrl": f"{base}/credentials/{award.uuid}",
            "jwtUrl": f"{base}/credentials/{award.uuid}/credential.jwt"}


def _context(award: Award) -> dict[str, Any]:
    context = award.achievement.lti_context
    deployment = award.deployment or award.achievement.deployment
    return {"ltiDeploymentId": deployment.deployment_id if deployment else None,
            "contextId": context.context_id if context else None,
            "courseLabel": context.label if context else None,
            "courseTitle": context.title if context else None}


def _next_position(issuer: Issuer) -> int:
    for _ in range(2):
        if FeedCounter.objects.filter(issuer=issuer).update(last_position=F("last_position") + 1):
            return FeedCounter.objects.values_list("last_position", flat=True).get(issuer=issuer)
        try:
            with transaction.atomic():
                FeedCounter.objects.create(issuer=issuer, last_position=1)
            return 1
        except IntegrityError:  # another transaction created it first: take the lock through update
            continue
    raise ServiceError(f"could not draw a feed position for issuer {issuer.uuid}")
