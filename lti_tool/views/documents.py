"""Public JSON documents: issuer profiles, keys, DID documents, JWKS, status lists, OB 2.0 files.

Issuer, achievement and credential URLs answer browsers with a page (see :mod:`.pages`) and
machines with JSON-LD, chosen by the Accept header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from .. import publication
from ..conf import tool_settings
from ..models import StatusList
from .negotiation import json_response


def _serve(function: Callable[..., Any], *, content_type: str, max_age: int = 300, **kwargs: Any) -> HttpResponse:
    try:
        return json_response(function(**kwargs), content_type=content_type, max_age=max_age)
    except publication.NotFound as error:
        raise Http404(str(error)) from None
    except publication.Gone as gone:
        return json_response(gone.body, content_type=content_type, status=410, max_age=60)


@require_safe
def issuer_key(request: HttpRequest, issuer_uuid, key_name: str) -> HttpResponse:
    """Serve a key at its own URL: Multikey (Ed25519) or a bare JWK with ``iss`` (RSA)."""
    content_type = "application/json" if key_name.startswith("rsa-") else "application/ld+json"
    return _serve(publication.issuer_key_document, content_type=content_type, max_age=3600,
                  issuer_uuid=issuer_uuid, key_name=key_name)


@require_safe
def issuer_did(request: HttpRequest, issuer_uuid) -> HttpResponse:
    return _serve(publication.issuer_did_document, content_type="application/json", issuer_uuid=issuer_uuid)


@require_safe
def issuer_jwks(request: HttpRequest, issuer_uuid) -> HttpResponse:
    return _serve(publication.issuer_jwks, content_type="application/jwk-set+json", issuer_uuid=issuer_uuid)


@require_safe
def service_jwks(request: HttpRequest) -> HttpResponse:
    return _serve(publication.service_jwks, content_type="application/jwk-set+json")


@require_safe
def status_list(request: HttpRequest, list_uuid) -> HttpResponse:
    """Serve the status list credential with ETag revalidation (W3C Bitstring Status List §5.3)."""
    found = StatusList.objects.filter(uuid=list_uuid).only("etag", "published_at").first()
    if found is None:
        raise Http404("no status list")
    if found.etag and request.headers.get("If-None-Match", "").strip('"') == found.etag:
        response = HttpResponseNotModified()
        response["ETag"] = f'"{found.etag}"'
        return response
    response = _serve(publication.status_list_document, content_type="application/ld+json",
                      max_age=int(tool_settings.STATUS_LIST_MAX_AGE), list_uuid=list_uuid)
    response["ETag"] = f'"{found.etag}"'
    if found.published_at:
        response["Last-Modified"] = found.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@require_safe
def ob2_issuer(request: HttpRequest, issuer_uuid) -> HttpResponse:
    return _serve(publication.ob2_issuer_document, content_type="application/ld+json", issuer_uuid=issuer_uuid)


@require_safe
def ob2_key(request: HttpRequest, issuer_uuid, key_name: str) -> HttpResponse:
    return _serve(publication.ob2_key_document, content_type="application/ld+json", max_age=3600,
                  issuer_uuid=issuer_uuid, key_name=key_name)


@require_safe
def ob2_revocations(request: HttpRequest, issuer_uuid) -> HttpResponse:
    return _serve(publication.ob2_revocation_list_document, content_type="application/ld+json",
                  max_age=int(tool_settings.STATUS_LIST_MAX_AGE), issuer_uuid=issuer_uuid)


@require_safe
def ob2_badge(request: HttpRequest, achievement_uuid) -> HttpResponse:
    return _serve(publication.ob2_badgeclass_document, content_type="application/ld+json",
                  achievement_uuid=achievement_uuid)


@require_safe
def ob2_assertion(request: HttpRequest, award_uuid) -> HttpResponse:
    return _serve(publication.ob2_assertion_document, content_type="application/ld+json", max_age=60,
                  award_uuid=award_uuid)
