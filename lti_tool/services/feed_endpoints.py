"""The registrar's feed destinations: create, rotate a webhook secret, switch on and off.

A registrar-supplied URL is checked by the same guard as every outbound request (http(s) only, no
private or loopback address unless ``FEED_ALLOW_PRIVATE``) when it is saved and again on every
delivery. Webhook secrets are sealed with the key-encryption key and shown once.
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.ports import ResolveError
from ..core.registrar.events import EVENT_TYPES, FULL, THIN
from ..core.registrar.webhooks import new_secret
from ..core.timefmt import format_datetime, parse_datetime
from ..key_encryption import open_sealed, seal
from ..models import ApiClient, FeedEndpoint, Issuer
from ..public_ids import parse_uuid
from .errors import ServiceError
from .resolution import url_check

IDENTIFIER_TYPES = ("sisSourcedId", "lisSourcedId", "ltiUserId", "emailAddress")
DEFAULT_IDENTIFIER_TYPES = ("sisSourcedId", "lisSourcedId")


def feed_endpoint_create(*, issuer: Issuer, name: str, url: str, kind: str = FeedEndpoint.Kind.WEBHOOK,
                         identifier_types: Iterable[str] = DEFAULT_IDENTIFIER_TYPES, payload: str = THIN,
                         event_types: Iterable[str] = (), settings: dict | None = None,
                         oneroster_secret: str = "") -> tuple[FeedEndpoint, str]:
    """Create a destination; return it with its new webhook secret (shown once; empty for OneRoster).

    Raises:
        ServiceError: a bad URL (scheme, private address, unresolvable), unknown identifier or
            event types, or a payload mode other than thin or full.
    """
    if kind not in FeedEndpoint.Kind.values:
        raise ServiceError(f"kind must be one of {', '.join(FeedEndpoint.Kind.values)}")
    if not name.strip() or len(name) > 200:
        raise ServiceError("an endpoint needs a name of at most 200 characters")
    feed_url_check(url)
    identifier_types, event_types = sorted(set(identifier_types)), sorted(set(event_types))
    if set(identifier_types) - set(IDENTIFIER_TYPES):
        raise ServiceError(f"identifier types must be among {', '.join(IDENTIFIER_TYPES)}")
    if set(event_types) - set(EVENT_TYPES):
        raise ServiceError(f"event types must be among {', '.join(EVENT_TYPES)}")
    if payload not in (THIN, FULL):
        raise ServiceError("payload must be thin or full")
    settings = dict(settings or {})
    if not settings.get("ack_client_id"):
        settings.pop("ack_client_id", None)  # an empty name would make the destination unacknowledgeable
    else:  # who may acknowledge this destination's events (feed_ack)
        ack_client = parse_uuid(str(settings["ack_client_id"]))
        if ack_client is None or not ApiClient.objects.filter(client_id=ack_client, issuer=issuer).exists():
            raise ServiceError("the acknowledging client must be one of this issuer's registrar clients")
        settings["ack_client_id"] = str(ack_client)
    secret = ""
    sealed_secrets = []
    if kind == FeedEndpoint.Kind.WEBHOOK:
        secret = new_secret()
        sealed_secrets.append(secret_sealed(secret, expires_at=None))
    else:
        for key in ("token_url", "client_id"):
            if not settings.get(key):
                raise ServiceError(f"a OneRoster endpoint needs settings[{key!r}]")
        feed_url_check(settings["token_url"])
        if not oneroster_secret:
            raise ServiceError("a OneRoster endpoint needs its client secret")
        if not event_types:  # a gradebook records credentials, not catalog changes
            event_types = ["credential.awarded", "credential.expired", "credential.reissued", "credential.revoked"]
        sealed_secrets.append(secret_sealed(oneroster_secret, expires_at=None))
    endpoint = FeedEndpoint.objects.create(issuer=issuer, name=name.strip(), kind=kind, url=url,
                                           identifier_types=identifier_types, event_types=event_types,
                                           payload=payload, settings=settings, secrets=sealed_secrets)
    return endpoint, secret


def feed_url_check(url: str) -> None:
    """Refuse a destination URL the SSRF guard would not send to."""
    if len(url) > 1000:
        raise ServiceError("the URL is longer than 1,000 characters")
    try:
        url_check(url, allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE))
    except ResolveError as error:
        raise ServiceError(f"cannot send to {url}: {error}") from None


def feed_endpoint_rotate_secret(*, endpoint: FeedEndpoint, now: datetime | None = None) -> str:
    """Add a new webhook secret and let the others sign only for ``FEED_SECRET_OVERLAP`` more; return it."""
    if endpoint.kind != FeedEndpoint.Kind.WEBHOOK:
        raise ServiceError("only webhook endpoints have signing secrets")
    now = now or timezone.now()
    secret = new_secret()
    until = format_datetime(now + timedelta(seconds=tool_settings.FEED_SECRET_OVERLAP))
    with transaction.atomic():
        locked = FeedEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        kept = [item if item.get("expires_at") else {**item, "expires_at": until} for item in locked.secrets
                if not _expired(item, now)]
        locked.secrets = [*kept, secret_sealed(secret, expires_at=None)]
        locked.save(update_fields=["secrets"])
    endpoint.secrets = locked.secrets
    return secret


def feed_endpoint_secrets(endpoint: FeedEndpoint, now: datetime) -> list[str]:
    """Return the endpoint's secrets that still sign, newest last."""
    return [open_sealed(item["kek"], bytes.fromhex(item["sealed"]), associated=_associated(item["id"])).decode()
            for item in endpoint.secrets if not _expired(item, now)]


def feed_endpoint_enable(*, endpoint: FeedEndpoint) -> FeedEndpoint:
    """Switch an endpoint back on; what waited for it goes out, oldest first."""
    FeedEndpoint.objects.filter(pk=endpoint.pk).update(enabled=True, disabled_reason="", failing_since=None)
    endpoint.refresh_from_db()
    from ..background import wake
    wake()
    return endpoint


def feed_endpoint_disable(*, endpoint: FeedEndpoint, reason: str) -> FeedEndpoint:
    """Switch an endpoint off; its deliveries wait (nothing is dropped) until it is switched on."""
    FeedEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=reason[:500])
    endpoint.refresh_from_db()
    return endpoint


def secret_sealed(secret: str, *, expires_at: str | None) -> dict:
    """Return a secret sealed with the key-encryption key, as an endpoint keeps it."""
    secret_id = random_secrets.token_hex(8)
    kek_id, sealed = seal(secret.encode(), associated=_associated(secret_id))
    return {"id": secret_id, "kek": kek_id, "sealed": sealed.hex(), "expires_at": expires_at}


def _associated(secret_id: str) -> str:
    return f"feed-endpoint-secret:{secret_id}"


def _expired(item: dict, now: datetime) -> bool:
    return bool(item.get("expires_at")) and parse_datetime(item["expires_at"]) <= now
