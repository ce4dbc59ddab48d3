"""Deliver the registrar feed: at least once, in order per learner, retried on a schedule, never lost.

Registrar research digest 5.4. Every event is planned as one :class:`FeedDelivery` per endpoint
in the same transaction that writes the event (so a planned delivery exists exactly when its event
does). Runners claim due deliveries with a lease; an event about a learner waits while an earlier
event about the same learner to the same endpoint is still on its way (per-learner order). A
delivery that fails waits on the retry schedule (:mod:`lti_tool.core.registrar.retries`),
honouring ``Retry-After``; after the schedule it is dead, kept, and can be replayed. An endpoint
answering ``410 Gone`` or failing for ``FEED_DISABLE_AFTER`` is switched off; its deliveries wait.
A runner killed mid-delivery leaves the row claimed until its lease ends; the next runner sends
it again with the same ``webhook-id``, which is how the receiver drops the repeat.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from ..background import wake_on_commit
from ..conf import tool_settings
from ..core.ports import ResolveError
from ..core.registrar.events import LEARNER_TYPES, Disclosure, StoredEvent, disclosed_types, render, wanted
from ..core.registrar.retries import STANDARD_SCHEDULE, next_delay, parse_retry_after
from ..core.registrar.webhooks import headers as webhook_headers
from ..models import ApiClient, FeedDelivery, FeedEndpoint, FeedEvent, Issuer
from ..public_ids import parse_uuid
from .errors import ServiceError
from .feed_endpoints import feed_endpoint_secrets
from .feed_events import learner_summary
from .resolution import fetch

logger = logging.getLogger(__name__)

MAX_RESPONSE = 64 * 1024
Status = FeedDelivery.Status


def deliveries_plan(*, event: FeedEvent) -> int:
    """Plan the event's delivery to each of its issuer's endpoints that takes it; return how many.

    Only events about credentials the registrar approved reach the feed (course badges outside the
    catalog stay in the LMS). An event about a learner the SIS cannot match yet is parked.
    """
    if event.achievement is not None and not event.achievement.registrar_approved:
        return 0
    parked = _unmatched(event)
    rows = [FeedDelivery(endpoint=endpoint, event=event, position=event.position, learner_id=event.learner_id,
                         status=Status.PARKED if parked and endpoint.kind != FeedEndpoint.Kind.PULL else
                         Status.PENDING, was_parked=parked and endpoint.kind != FeedEndpoint.Kind.PULL,
                         next_at=event.occurred_at)
            for endpoint in FeedEndpoint.objects.filter(issuer_id=event.issuer_id).exclude(kind=FeedEndpoint.Kind.SFTP)
            .only("pk", "kind", "event_types")
            if wanted(event.type, endpoint.event_types)]
    FeedDelivery.objects.bulk_create(rows)
    if rows and not parked:
        wake_on_commit()
    return len(rows)


BATCH = 20
PUSHED = (FeedEndpoint.Kind.WEBHOOK, FeedEndpoint.Kind.ONEROSTER)  # pull endpoints are read, SFTP gets files


def feed_deliveries_run_due(*, limit: int = 100, now: datetime | None = None) -> int:
    """Send up to ``limit`` due deliveries, claimed in batches; return how many were tried.

    A batch is claimed by one UPDATE under a token of this runner; a runner that has spent half
    its lease on a batch (a slow receiver) hands the rest back rather than let the lease run out.
    """
    tried = 0
    lease = timedelta(seconds=tool_settings.FEED_LEASE)
    while tried < limit:
        current = now or timezone.now()
        token, batch = _claim_batch(current, min(BATCH, limit - tried), lease)
        if not batch:
            break
        started = time.monotonic()
        secrets_by_endpoint: dict[int, list[str]] = {}
        switched_off: set[int] = set()
        for number, delivery in enumerate(batch):
            if time.monotonic() - started > lease.total_seconds() / 2:
                _release([d.pk for d in batch[number:]], token)
                break
            if delivery.endpoint_id in switched_off:  # answered 410 earlier in this batch
                _release([delivery.pk], token)
                continue
            tried += 1
            try:
                if _deliver(delivery, token, current, secrets_by_endpoint):
                    switched_off.add(delivery.endpoint_id)
            except Exception as error:  # a bug or the database: keep the row, try again later
                logger.exception("feed delivery %s failed unexpectedly", delivery.pk)
                FeedDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                    claimed_until=None, claim_token="", next_at=current + timedelta(minutes=1),
                    last_error=f"{type(error).__name__}: {error}"[:2000])
    return tried


def _claim_batch(now: datetime, size: int, lease: timedelta) -> tuple[str, list[FeedDelivery]]:
    """Lease up to ``size`` due deliveries to this runner under a fresh token.

    PostgreSQL: the rows are locked ``FOR UPDATE SKIP LOCKED`` while they are chosen, so two runners
    never take the same row (an UPDATE over a joined subquery alone does not re-check "still free"
    against a row another runner just committed). SQLite: the transaction takes the write lock at
    BEGIN (``transaction_mode`` IMMEDIATE), so choosing and taking are one step.
    """
    endpoints = list(FeedEndpoint.objects.filter(enabled=True, kind__in=PUSHED).values_list("pk", flat=True))
    if not endpoints:
        return "", []
    token = secrets.token_hex(16)
    with transaction.atomic():
        candidates = []
        for due in _due(now, endpoints):
            candidates += due.select_for_update(skip_locked=True, of=("self",)).values_list(
                "next_at", "position", "pk")[:size]
        if not candidates:
            return "", []
        chosen = [pk for _at, _position, pk in sorted(candidates)[:size]]
        FeedDelivery.objects.filter(pk__in=chosen).update(claimed_until=now + lease, claim_token=token,
                                                          attempts=F("attempts") + 1)
    batch = list(FeedDelivery.objects.filter(claim_token=token)
                 .select_related("endpoint__issuer", "event__issuer", "event__award", "event__learner")
                 .order_by("position", "pk"))
    return token, batch


def _release(pks: list[int], token: str) -> None:
    FeedDelivery.objects.filter(pk__in=pks, claim_token=token).update(
        claimed_until=None, claim_token="", attempts=F("attempts") - 1)


def _due(now: datetime, endpoints: list[int]) -> tuple:
    """Return the deliveries due now, each only once the earlier ones it must follow are out of the way.

    Two queries, each a walk down the (status, next_at) index that stops at the batch size: events
    about a learner follow the learner's earlier events to the same endpoint; catalog events follow
    the earlier events about the same achievement. (One query with an OR over both made PostgreSQL
    read every pending row and the events table each time: 1.3 s a claim with 80,000 waiting.)
    """
    waiting = [Status.PENDING, Status.PARKED]
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = FeedDelivery.objects.filter(free, status=Status.PENDING, next_at__lte=now, endpoint_id__in=endpoints)
    earlier_of_learner = FeedDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), learner_id=OuterRef("learner_id"), position__lt=OuterRef("position"),
        status__in=waiting)
    earlier_of_subject = FeedDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), learner_id__isnull=True, event__subject=OuterRef("event__subject"),
        position__lt=OuterRef("position"), status__in=waiting)
    order = ("next_at", "position", "pk")
    return (due.filter(learner_id__isnull=False).exclude(Exists(earlier_of_learner)).order_by(*order),
            due.filter(learner_id__isnull=True).exclude(Exists(earlier_of_subject)).order_by(*order))


def _deliver(delivery: FeedDelivery, token: str, now: datetime, secrets_by_endpoint: dict[int, list[str]]) -> bool:
    """Send one claimed delivery and record what came of it; return True when the endpoint was switched off."""
    endpoint, event = delivery.endpoint, delivery.event
    body_event = render_for(endpoint, event, parked=delivery.was_parked)
    mine = FeedDelivery.objects.filter(pk=delivery.pk, claim_token=token)  # only while the lease is ours
    if endpoint.kind == FeedEndpoint.Kind.ONEROSTER:
        from .feed_oneroster import oneroster_send
        outcome = oneroster_send(endpoint=endpoint, event=event, rendered=body_event, now=now)
    else:
        if endpoint.pk not in secrets_by_endpoint:
            secrets_by_endpoint[endpoint.pk] = feed_endpoint_secrets(endpoint, now)
        outcome = _webhook_send(endpoint, event, body_event, now, secrets_by_endpoint[endpoint.pk])
    if outcome.delivered:
        mine.update(status=Status.DELIVERED, delivered_at=now, claimed_until=None, claim_token="",
                    last_status=outcome.status, last_error="", response_excerpt=outcome.excerpt,
                    disclosed=disclosed_types(body_event))
        if endpoint.failing_since is not None:
            FeedEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
        return False
    logger.info("feed delivery %s to %s failed: %s", delivery.pk, endpoint.name, outcome.problem)
    update: dict[str, Any] = {"claimed_until": None, "claim_token": "", "last_status": outcome.status,
                              "last_error": outcome.problem[:2000], "response_excerpt": outcome.excerpt}
    if outcome.gone:  # 410: the receiver says this endpoint is no more
        update["next_at"] = now
        FeedEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_reason=f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC")
    else:
        delay = next_delay(delivery.attempts, schedule=_schedule(), retry_after=outcome.retry_after)
        if delay is None:
            update["status"] = Status.DEAD
        else:  # counted from the end of this attempt, which may have waited out the timeout
            update["next_at"] = max(now, timezone.now()) + timedelta(seconds=delay)
        _note_failure(endpoint, now)
    mine.update(**update)
    return outcome.gone


def render_for(endpoint: FeedEndpoint, event: FeedEvent, *, parked: bool = False) -> dict[str, Any]:
    """Return the CloudEvent this endpoint receives for ``event`` (a parked one with today's identifiers)."""
    data = dict(event.data)
    if parked and event.learner_id is not None and "learner" in data:
        data["learner"] = learner_summary(event.learner, issuer=event.issuer)
    stored = StoredEvent(id=str(event.uuid), position=event.position, type=event.type, subject=event.subject,
                         time=event.occurred_at, data=data)
    base = event.issuer.base_url.rstrip("/")
    credential = event.award.credential if event.award_id and endpoint.payload == "full" else None
    return render(stored, source=f"{base}/issuers/{event.issuer.uuid}", schema_base=f"{base}/schemas",
                  disclosure=Disclosure(frozenset(endpoint.identifier_types), endpoint.payload),
                  credential=credential)


class Outcome:
    """What one attempt came to."""

    def __init__(self, *, delivered: bool, status: int | None = None, problem: str = "", excerpt: str = "",
                 retry_after: float | None = None, gone: bool = False) -> None:
        self.delivered, self.status, self.problem, self.excerpt = delivered, status, problem, excerpt
        self.retry_after, self.gone = retry_after, gone


def _webhook_send(endpoint: FeedEndpoint, event: FeedEvent, rendered: dict[str, Any], now: datetime,
                  signing_secrets: list[str]) -> Outcome:
    body = json.dumps(rendered, separators=(",", ":"), ensure_ascii=False).encode()
    signed = webhook_headers(signing_secrets, str(event.uuid), int(time.time()), body)
    return http_outcome(endpoint.url, method="POST", body=body, now=now, headers={
        **signed, "Content-Type": "application/cloudevents+json; charset=utf-8",
        "Idempotency-Key": str(event.uuid)})


def http_outcome(url: str, *, method: str, body: bytes, headers: dict[str, str], now: datetime) -> Outcome:
    """Send one request under the SSRF guard; 2xx delivers, anything else (redirects too) fails."""
    try:
        response = fetch(url, method=method, headers=headers, body=body, follow_redirects=False,
                         allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE), max_bytes=MAX_RESPONSE,
                         timeout=float(tool_settings.FEED_TIMEOUT))
    except ResolveError as error:
        return Outcome(delivered=False, problem=str(error))
    excerpt = response.body[:500].decode("utf-8", "replace")
    if 200 <= response.status < 300:
        return Outcome(delivered=True, status=response.status, excerpt=excerpt)
    return Outcome(delivered=False, status=response.status, excerpt=excerpt, gone=response.status == 410,
                   problem=f"HTTP {response.status} {response.reason}".strip(),
                   retry_after=parse_retry_after(response.headers.get("retry-after"), now))


def _note_failure(endpoint: FeedEndpoint, now: datetime) -> None:
    if endpoint.failing_since is None:
        FeedEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    elif now - endpoint.failing_since > timedelta(seconds=tool_settings.FEED_DISABLE_AFTER):
        FeedEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_reason=f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
        logger.warning("feed endpoint %s switched off after failing since %s", endpoint.name, endpoint.failing_since)


def _schedule() -> tuple[float, ...]:
    return tuple(tool_settings.FEED_RETRY_SCHEDULE or STANDARD_SCHEDULE)


# -- replay, acknowledgement, identity --------------------------------------------------------------

def feed_replay(*, endpoint: FeedEndpoint, first: int, last: int | None = None) -> int:
    """Send events ``first``..``last`` (positions) to the endpoint again; return how many were queued.

    Events that never had a delivery to this endpoint (it was added later) get one, parked when the
    learner cannot be matched yet; parked deliveries stay parked and deliveries being sent right now
    are left to finish. Receivers drop repeats by event id.
    """
    if first < 1 or (last is not None and last < first):
        raise ServiceError("give a position range: first ≥ 1 and last ≥ first")
    if endpoint.kind not in PUSHED:
        raise ServiceError("only webhook and OneRoster endpoints are sent to; a SIS pulling the feed reads "
                           "from any position with after=")
    now = timezone.now()
    events = FeedEvent.objects.filter(issuer_id=endpoint.issuer_id, position__gte=first)
    if last is not None:
        events = events.filter(position__lte=last)
    with transaction.atomic():
        have = set(FeedDelivery.objects.filter(endpoint=endpoint, event__in=events).values_list("event_id", flat=True))
        missing = []
        for event in events.select_related("achievement"):
            if event.pk in have or not wanted(event.type, endpoint.event_types):
                continue
            if event.achievement is not None and not event.achievement.registrar_approved:
                continue
            parked = _unmatched(event)
            missing.append(FeedDelivery(endpoint=endpoint, event=event, position=event.position,
                                        learner_id=event.learner_id, next_at=now, was_parked=parked,
                                        status=Status.PARKED if parked else Status.PENDING))
        FeedDelivery.objects.bulk_create(missing)
        again = _requeue(FeedDelivery.objects.filter(endpoint=endpoint, event__in=events), now)
        wake_on_commit()
    return again + len([row for row in missing if row.status == Status.PENDING])


def feed_replay_dead(*, endpoint: FeedEndpoint) -> int:
    """Send the endpoint's dead deliveries again, each followed by its learner's later events.

    A SIS that applies events in order would otherwise get an old "awarded" after a newer
    "revoked"; requeueing what came after keeps each learner's events in order.
    """
    now = timezone.now()
    with transaction.atomic():
        dead = list(FeedDelivery.objects.filter(endpoint=endpoint, status=Status.DEAD)
                    .values_list("learner_id", "position"))
        if not dead:
            return 0
        rows = Q(status=Status.DEAD)
        for learner_id, position in dead:
            if learner_id is not None:
                rows |= Q(learner_id=learner_id, position__gt=position)
        count = _requeue(FeedDelivery.objects.filter(endpoint=endpoint).filter(rows), now)
        wake_on_commit()
    return count


def _requeue(rows, now: datetime) -> int:
    in_flight = Q(claimed_until__gt=now) & ~Q(claim_token="")
    return rows.exclude(status=Status.PARKED).exclude(in_flight).update(
        status=Status.PENDING, next_at=now, attempts=0, claimed_until=None, claim_token="")


def _unmatched(event: FeedEvent) -> bool:
    return event.type in LEARNER_TYPES and event.type != FeedEvent.Type.IDENTITY_LINKED and \
        (event.data.get("learner") or {}).get("matchStatus") == "unmatched"


def feed_ack(*, client: ApiClient, event_id: str, sis_record_id: str = "", status: str = "received",
             message: str = "") -> int:
    """Record the SIS's acknowledgement of an event (its own record id); return how many deliveries it marks.

    A client acknowledges only for the destinations it answers for: its own pull feed, and the push
    destinations (webhook, OneRoster) that name it as their acknowledging client or name none.
    Another client's pull feed is never marked.

    Raises:
        ServiceError: a status other than received, recorded or rejected; or the event is the
            issuer's but went to no destination this client answers for.
    """
    if status not in ("received", "recorded", "rejected"):
        raise ServiceError("status must be received, recorded or rejected")
    if parse_uuid(event_id) is None or client.issuer_id is None:
        return 0
    client_id = str(client.client_id)
    answers_for = (Q(kind=FeedEndpoint.Kind.PULL, settings__client_id=client_id)
                   | (~Q(kind=FeedEndpoint.Kind.PULL)
                      & (Q(settings__ack_client_id=client_id) | ~Q(settings__has_key="ack_client_id"))))
    endpoints = FeedEndpoint.objects.filter(answers_for, issuer_id=client.issuer_id)
    marked = FeedDelivery.objects.filter(event__uuid=event_id, event__issuer_id=client.issuer_id,
                                         endpoint__in=endpoints).update(
        acknowledged_at=timezone.now(), ack_status=status, sis_record_id=sis_record_id[:200],
        ack_message=message[:2000])
    if not marked and FeedDelivery.objects.filter(event__uuid=event_id, event__issuer_id=client.issuer_id).exists():
        raise ServiceError("this event went to no destination this client answers for")
    return marked


def feed_acks_record(*, client: ApiClient, acks: list[Any]) -> list[dict[str, Any]]:
    """Record a batch of the SIS's acknowledgements; return a result per item, in order.

    Each result is ``recorded``, ``unknown_event`` (no such event of the issuer) or ``rejected``
    with the reason; one bad item never stops the others.
    """
    results: list[dict[str, Any]] = []
    for index, item in enumerate(acks):
        if not isinstance(item, dict) or not isinstance(item.get("eventId"), str):
            results.append({"index": index, "outcome": "rejected", "error": "each ack needs an eventId"})
            continue
        try:
            marked = feed_ack(client=client, event_id=item["eventId"], sis_record_id=str(item.get("sisRecordId") or ""),
                              status=str(item.get("status") or "received"), message=str(item.get("message") or ""))
        except (ServiceError, ValueError) as error:
            results.append({"index": index, "outcome": "rejected", "error": str(error)})
            continue
        results.append({"index": index, "outcome": "recorded" if marked else "unknown_event"})
    return results


def deliveries_unpark(*, learner_id: int, issuer: Issuer) -> int:
    """Release a learner's parked deliveries to ``issuer``'s destinations (the issuer can now match them)."""
    count = FeedDelivery.objects.filter(learner_id=learner_id, status=Status.PARKED,
                                        endpoint__issuer=issuer).update(status=Status.PENDING, next_at=timezone.now())
    if count:
        wake_on_commit()
    return count
