"""The registrar's pull feed: a cursor over the feed (``after=<sequence>``) for a SIS that calls in.

Registrar research digest 5.3 (Ethos-style ``consume``): the recovery and audit path that needs no
open port at the university. A registrar's API client reads through a ``pull`` endpoint, which
holds what may be disclosed to it; every event read is recorded as delivered to that endpoint
(the disclosure log). Positions are in commit order (:class:`FeedCounter`), so a reader that has
seen N never misses an event below N.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..core.registrar.events import disclosed_types
from ..models import ApiClient, FeedDelivery, FeedEndpoint, Issuer
from .api_clients import NewClient, api_client_create
from .errors import ServiceError
from .feed_delivery import render_for
from .feed_endpoints import DEFAULT_IDENTIFIER_TYPES, IDENTIFIER_TYPES

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    events: list[dict[str, Any]]
    last: int  # the cursor to send as ``after`` next time
    more: bool


def registrar_client_create(*, issuer: Issuer, name: str, identifier_types: Iterable[str] = DEFAULT_IDENTIFIER_TYPES,
                            payload: str = "thin", event_types: Iterable[str] = ()) -> tuple[NewClient, FeedEndpoint]:
    """Create an API client for a registrar's system and the pull endpoint that says what it may read."""
    identifier_types = sorted(set(identifier_types))
    if set(identifier_types) - set(IDENTIFIER_TYPES):
        raise ServiceError(f"identifier types must be among {', '.join(IDENTIFIER_TYPES)}")
    if payload not in ("thin", "full"):
        raise ServiceError("payload must be thin or full")
    with transaction.atomic():
        new = api_client_create(issuer=issuer, name=name)
        endpoint = FeedEndpoint.objects.create(issuer=issuer, name=name.strip(), kind=FeedEndpoint.Kind.PULL,
                                               identifier_types=identifier_types, payload=payload,
                                               event_types=sorted(set(event_types)),
                                               settings={"client_id": str(new.client.client_id)})
    return new, endpoint


def pull_endpoint(client: ApiClient) -> FeedEndpoint:
    """Return the pull endpoint of a registrar's client."""
    endpoint = FeedEndpoint.objects.filter(kind=FeedEndpoint.Kind.PULL, issuer_id=client.issuer_id,
                                           settings__client_id=str(client.client_id)).first()
    if endpoint is None or client.issuer_id is None:
        raise ServiceError("this client reads no feed")
    return endpoint


def feed_pull(*, client: ApiClient, after: int, limit: int = 100) -> Page:
    """Return the events after position ``after`` that this client may read, and record the disclosure."""
    if after < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(f"after must be 0 or more and limit 1 to {MAX_LIMIT}")
    endpoint = pull_endpoint(client)
    if not endpoint.enabled:
        raise ServiceError("this feed is switched off")
    rows = list(FeedDelivery.objects.filter(endpoint=endpoint, position__gt=after)
                .select_related("event__issuer", "event__award", "event__learner").order_by("position")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    now = timezone.now()
    events = []
    for row in rows:
        rendered = render_for(endpoint, row.event, parked=row.was_parked)
        events.append(rendered)
        if row.status != FeedDelivery.Status.DELIVERED:
            FeedDelivery.objects.filter(pk=row.pk).update(status=FeedDelivery.Status.DELIVERED, delivered_at=now,
                                                          disclosed=disclosed_types(rendered))
    return Page(events, rows[-1].position if rows else after, more)


