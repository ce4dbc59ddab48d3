"""OneRoster 1.2 Gradebook as a feed destination: each award becomes a result in the SIS gradebook.

Registrar research digest 1.2 and 5.3: one line item per credential (and class), ``PUT
/ims/oneroster/gradebook/v1p2/lineItems/{sourcedId}`` once, then ``PUT …/results/{sourcedId}`` per
event with a deterministic ``sourcedId`` (from line item and student), so a repeat replaces rather
than duplicates. Awards are ``fully graded`` with ``textScore`` "Awarded"; a revocation marks the
result ``tobedeleted``. Access tokens come from the SIS's OAuth 2.0 client-credentials endpoint
(scope ``gradebook.createput``) and are reused until shortly before they expire.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction

from ..core.timefmt import format_datetime
from ..models import FeedEndpoint, FeedEvent
from .feed_endpoints import feed_endpoint_secrets

BASE = "/ims/oneroster/gradebook/v1p2"
SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput"
TEXT = {"credential.awarded": "Awarded", "credential.reissued": "Awarded", "credential.expired": "Expired",
        "credential.revoked": "Revoked"}


def oneroster_send(*, endpoint: FeedEndpoint, event: FeedEvent, rendered: dict[str, Any], now: datetime):
    """Write one event to the SIS gradebook; return the attempt's outcome (see ``feed_delivery.Outcome``)."""
    from .feed_delivery import Outcome, http_outcome

    if event.type not in TEXT:
        return Outcome(delivered=True, excerpt="nothing for a gradebook in this event")
    student = next((item["value"] for kind in ("sisSourcedId", "lisSourcedId")
                    for item in rendered["data"].get("learner", {}).get("identifiers", []) if item["type"] == kind),
                   None)
    if student is None:
        return Outcome(delivered=False, problem="the learner has no SIS id this endpoint may receive")
    token, problem = _token(endpoint, now)
    if token is None:
        return Outcome(delivered=False, problem=problem)
    settings = endpoint.settings
    achievement = event.data["achievement"]
    line_item = f"accolade-{event.achievement.uuid}" + (f"-{settings['class_sourced_id']}"
                                                         if settings.get("class_sourced_id") else "")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    base = endpoint.url.rstrip("/") + BASE
    if line_item not in settings.get("line_items", []):
        body = {"lineItem": {
            "sourcedId": line_item, "status": "active", "dateLastModified": format_datetime(now),
            "title": achievement["name"][:255], "description": f"Open Badge: {achievement['name']}",
            "assignDate": format_datetime(now), "dueDate": format_datetime(now),
            "resultValueMin": 0, "resultValueMax": 1,
            **_refs(settings), "metadata": {"achievementId": achievement["id"], "sisCode": achievement.get("sisCode")}}}
        outcome = http_outcome(f"{base}/lineItems/{line_item}", method="PUT", body=json.dumps(body).encode(),
                               headers=headers, now=now)
        if not outcome.delivered:
            _forget_token_on_401(endpoint, outcome)
            return outcome
        _remember_line_item(endpoint, line_item)
    credential = event.data["credential"]
    result_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{line_item}|{student}"))
    revoked = event.type == "credential.revoked"
    body = {"result": {
        "sourcedId": result_id, "status": "tobedeleted" if revoked else "active",
        "dateLastModified": format_datetime(now), "lineItem": {"sourcedId": line_item},
        "student": {"sourcedId": student}, "scoreStatus": "fully graded", "score": 0 if revoked else 1,
        "textScore": TEXT[event.type], "scoreDate": credential.get("awardedDate") or format_datetime(event.occurred_at),
        "comment": f"Open Badge: {achievement['name']} ({credential['verifyUrl']})"[:1024],
        **({"class": {"sourcedId": settings["class_sourced_id"]}} if settings.get("class_sourced_id") else {}),
        "metadata": {"credentialId": credential["id"], "eventId": str(event.uuid), "sequence": event.position}}}
    outcome = http_outcome(f"{base}/results/{result_id}", method="PUT", body=json.dumps(body).encode(),
                           headers=headers, now=now)
    _forget_token_on_401(endpoint, outcome)
    return outcome


def _refs(settings: dict[str, Any]) -> dict[str, Any]:
    refs = {}
    for key, name in (("class_sourced_id", "class"), ("school_sourced_id", "school"),
                      ("category_sourced_id", "category")):
        if settings.get(key):
            refs[name] = {"sourcedId": settings[key]}
    return refs


def _token(endpoint: FeedEndpoint, now: datetime) -> tuple[str | None, str]:
    key = f"accolade:oneroster-token:{endpoint.pk}"
    held = cache.get(key)
    if held:
        return held, ""
    from ..conf import tool_settings
    from ..core.ports import ResolveError
    from .resolution import fetch

    secret = feed_endpoint_secrets(endpoint, now)[-1]
    basic = base64.b64encode(f"{endpoint.settings['client_id']}:{secret}".encode()).decode()
    try:
        response = fetch(endpoint.settings["token_url"], method="POST", follow_redirects=False,
                         headers={"Authorization": f"Basic {basic}",
                                  "Content-Type": "application/x-www-form-urlencoded"},
                         body=f"grant_type=client_credentials&scope={SCOPE}".encode(),
                         allow_private=bool(tool_settings.FEED_ALLOW_PRIVATE),
                         timeout=float(tool_settings.FEED_TIMEOUT))
    except ResolveError as error:
        return None, f"token request failed: {error}"
    if response.status != 200:
        return None, f"token request answered HTTP {response.status}"
    try:
        document = response.json()
        token, lifetime = str(document["access_token"]), int(document.get("expires_in", 3600))
    except (ResolveError, KeyError, TypeError, ValueError):
        return None, "the token response is not an OAuth 2.0 access token"
    cache.set(key, token, max(lifetime - 60, 1))
    return token, ""


def _forget_token_on_401(endpoint: FeedEndpoint, outcome) -> None:
    if outcome.status == 401:
        cache.delete(f"accolade:oneroster-token:{endpoint.pk}")


def _remember_line_item(endpoint: FeedEndpoint, line_item: str) -> None:
    with transaction.atomic():
        locked = FeedEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        items = list(locked.settings.get("line_items", []))
        if line_item not in items:
            locked.settings = {**locked.settings, "line_items": [*items, line_item]}
            locked.save(update_fields=["settings"])
    endpoint.settings = locked.settings
