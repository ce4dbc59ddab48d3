"""Versioned REST API, v1: verification (more endpoints arrive with the LTI and registrar issues)."""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..services.verification import credential_verify

MAX_BODY = 5 * 1024 * 1024
JSON_TYPES = {"application/json", "application/ld+json", "application/vc+ld+json", "application/vc"}
TEXT_TYPES = {"text/plain", "application/jwt", "application/vc+jwt", "application/vc+ld+json+jwt"}
IMAGE_TYPES = {"image/png", "image/svg+xml"}


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """Verify the credential in the request body and return the checks as JSON.

    Accepts ``application/json`` (credential), ``text/plain`` or ``application/vc+jwt`` (a JWT/JWS or
    a hosted-assertion URL), ``image/png`` and ``image/svg+xml`` (baked badges), and
    ``multipart/form-data`` with a ``file`` or ``credential`` field. Responds 200 with the result
    whether or not the credential verifies; 413 for bodies over 5 MiB; 415 for other media types.
    """
    content_type = request.content_type.lower()
    try:
        if content_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is not None:
                if upload.size > MAX_BODY:
                    return _error(413, "file is larger than 5 MiB")
                data = upload.read()
            elif request.POST.get("credential"):
                data = request.POST["credential"]
            else:
                return _error(400, "send a 'file' or a 'credential' field")
        else:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _error(400, "Content-Length is not a number")
            if declared > MAX_BODY:
                return _error(413, "body is larger than 5 MiB")
            body = request.body
            if len(body) > MAX_BODY:
                return _error(413, "body is larger than 5 MiB")
            if content_type in JSON_TYPES:
                try:
                    data = json.loads(body)
                except (ValueError, RecursionError) as error:
                    return _error(400, f"body is not valid JSON: {error}")
            elif content_type in TEXT_TYPES:
                try:
                    data = body.decode("utf-8")
                except UnicodeDecodeError:
                    return _error(400, "body is not UTF-8 text")
            elif content_type in IMAGE_TYPES:
                data = body
            else:
                return _error(415, f"unsupported media type {content_type or '(none)'}; send JSON, a JWT as "
                                   "text/plain, a PNG or SVG image, or multipart/form-data")
    except RequestDataTooBig:
        return _error(413, "body is larger than 5 MiB")
    result = credential_verify(data=data)
    return JsonResponse(result.as_dict(), status=200)
