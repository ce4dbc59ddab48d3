"""Registrar API v1: the cursor feed a SIS pulls, and acknowledgements it returns.

Views only parse HTTP and delegate to :mod:`lti_tool.services.feed_pull` and
:mod:`lti_tool.services.feed_delivery`. Tokens come from ``/api/v1/oauth/token`` with a registrar
client's credentials (scope ``registrar:feed``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..conf import tool_settings
from ..services.api_clients import Caller
from ..services.errors import ServiceError
from ..services.feed_delivery import feed_acks_record
from ..services.feed_pull import feed_pull
from .api_adapters import _json_body, authenticated


def _integer(request: HttpRequest, name: str, default: int) -> int:
    value = request.GET.get(name, "")
    if value == "":
        return default
    if not value.isdigit() or len(value) > 18:
        raise ServiceError(f"{name} must be a whole number")
    return int(value)


@require_GET
@authenticated("registrar:feed")
def events(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Return up to ``limit`` events after position ``after``, oldest first; ``next`` pages on."""
    limit = _integer(request, "limit", 100)
    page = feed_pull(client=caller.client, after=_integer(request, "after", 0), limit=limit)
    base = f"{tool_settings.public_url}/api/registrar/v1/events"
    following = f"{base}?{urlencode({'after': page.last, 'limit': limit})}"
    response = JsonResponse({"events": page.events, "last": page.last, "more": page.more, "next": following})
    if page.more:
        response["Link"] = f'<{following}>; rel="next"'
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
@authenticated("registrar:feed")
def acks(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Take the SIS's acknowledgements: ``{"acks": [{"eventId", "sisRecordId", "status", "message"}]}``."""
    body = _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("acks"), list) or len(body["acks"]) > 1000:
        raise ServiceError('send {"acks": [{"eventId": …, "sisRecordId": …, "status": …}]} (at most 1,000)')
    results = feed_acks_record(client=caller.client, acks=body["acks"])
    rejected = sum(1 for r in results if r["outcome"] != "recorded")
    return JsonResponse({"results": results}, status=207 if rejected else 200)
