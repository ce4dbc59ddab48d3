"""Content negotiation (RFC 9110 §12.5.1) and response helpers for public documents."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

JSON_LD = "application/ld+json"
MACHINE_TYPES = ("application/ld+json", "application/json", "application/vc+ld+json", "application/vc")


def _accept(request: HttpRequest) -> list[tuple[str, float]]:
    ranges = []
    for part in request.headers.get("Accept", "").split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((fields[0].lower(), quality))
    return ranges


def wants_html(request: HttpRequest) -> bool:
    """Return True when the client prefers HTML over JSON (browsers), False for machines and */*."""
    if request.GET.get("format") in ("json", "jsonld"):
        return False
    if request.GET.get("format") == "html":
        return True
    ranges = _accept(request)
    html = max((q for media, q in ranges if media in ("text/html", "application/xhtml+xml")), default=0.0)
    machine = max((q for media, q in ranges if media in MACHINE_TYPES), default=0.0)
    return html > 0 and html >= machine


def json_response(document: Any, *, content_type: str = JSON_LD, status: int = 200, max_age: int = 300,
                  etag: str | None = None) -> HttpResponse:
    """Serve a public JSON document with caching headers and CORS (verifiers run in browsers too)."""
    response = HttpResponse(json.dumps(document, indent=2, ensure_ascii=False), status=status,
                            content_type=f"{content_type}; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    if etag:
        response["ETag"] = f'"{etag}"'
    return response
