"""Versioned REST API v1 for adapters (the Open edX XBlock, the Moodle bridge): tokens, facts, badge status.

Views only parse HTTP and delegate to :mod:`lti_tool.services.api_clients` and
:mod:`lti_tool.services.api_facts`; the OpenAPI 3.1 document is :mod:`lti_tool.api_schema`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import wraps
from urllib.parse import unquote

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..api_schema import openapi_document
from ..services.api_clients import ApiAuthError, Caller, api_request_authenticate, api_token_issue
from ..services.api_facts import NotFoundError, api_course_badges, api_facts_record, api_learner_badges
from ..services.errors import ServiceError

MAX_BODY = 2 * 1024 * 1024


def _error(status: int, message: str, *, code: str = "bad_request", headers: dict[str, str] | None = None
           ) -> JsonResponse:
    response = JsonResponse({"error": code, "error_description": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _json_body(request: HttpRequest) -> object:
    if request.content_type.lower() != "application/json":
        raise ServiceError("send application/json")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ServiceError("Content-Length is not a number") from None
    if declared > MAX_BODY:
        raise RequestDataTooBig()
    body = request.body
    if len(body) > MAX_BODY:
        raise RequestDataTooBig()
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ServiceError(f"body is not valid JSON: {error}") from None


def authenticated(scope: str) -> Callable:
    """Wrap a view: authenticate the bearer, require ``scope``, map service errors to HTTP."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                caller = api_request_authenticate(authorization=request.headers.get("Authorization", ""))
            except ApiAuthError as error:
                return _error(401, str(error), code="invalid_token",
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if scope not in caller.scopes:
                return _error(403, f"this token lacks the {scope} scope", code="insufficient_scope")
            try:
                return view(request, caller, *args, **kwargs)
            except RequestDataTooBig:
                return _error(413, f"body is larger than {MAX_BODY // 1024 // 1024} MiB", code="too_large")
            except NotFoundError as error:
                return _error(404, str(error), code="not_found")
            except ServiceError as error:
                status = 415 if "application/json" in str(error) else 400
                return _error(status, str(error))
        return wrapped
    return decorate


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """OAuth 2.0 token endpoint, client credentials grant (RFC 6749 §4.4, RFC 7523 §2.2)."""
    if request.content_type.lower() not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _error(415, "send application/x-www-form-urlencoded", code="invalid_request")
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        return _error(400, "grant_type must be client_credentials", code="unsupported_grant_type")
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    basic = request.headers.get("Authorization", "")
    if basic.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(basic[6:].strip(), validate=True).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id, client_secret = unquote(client_id), unquote(client_secret)
        except (ValueError, UnicodeDecodeError):
            return _error(401, "the Basic credentials cannot be read", code="invalid_client")
    assertion = None
    if form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        assertion = form.get("client_assertion")
    try:
        issued, record = api_token_issue(client_id=client_id, client_secret=client_secret,
                                         client_assertion=assertion, scope=form.get("scope"))
    except ApiAuthError as error:
        return _error(error.status, str(error), code=error.error)
    response = JsonResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 3600,
                             "scope": " ".join(record.scopes)})
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
@authenticated("facts:write")
def facts(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Record facts; 200 when all were taken, 207 when some were rejected (each with its reason)."""
    body = _json_body(request)
    if not isinstance(body, dict) or set(body) != {"facts"}:
        raise ServiceError('send {"facts": [...]}')
    results = api_facts_record(caller=caller, facts=body["facts"])
    rejected = sum(1 for result in results if result.outcome == "rejected")
    return JsonResponse({"results": [{"index": r.index, "outcome": r.outcome, **({"error": r.error} if r.error
                                                                                  else {})} for r in results],
                         "rejected": rejected}, status=207 if rejected else 200)


@require_GET
@authenticated("badges:read")
def course_badges(request: HttpRequest, caller: Caller, context_id: str) -> HttpResponse:
    """Return the course's badges with their criteria."""
    return JsonResponse({"badges": api_course_badges(caller=caller, context_id=context_id)})


@require_GET
@authenticated("badges:read")
def learner_badges(request: HttpRequest, caller: Caller, context_id: str, sub: str) -> HttpResponse:
    """Return where one learner stands with each badge of the course."""
    return JsonResponse({"badges": api_learner_badges(caller=caller, context_id=context_id, sub=sub)})


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    """Serve the OpenAPI 3.1 document of API v1."""
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 2})
