"""Resolve the documents verification needs: our own from the database, others over HTTP, guarded.

Remote fetches (issuer profiles, keys, status lists of other issuers) are limited: http(s) only, a
timeout, a response size cap, JSON only, at most three redirects, and no private, loopback,
link-local or reserved addresses unless ``REMOTE_FETCH_ALLOW_PRIVATE`` is set (SSRF guard; every
redirect target is checked again).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.urls import Resolver404, resolve

from ..conf import tool_settings
from ..core.ports import ResolveError, Resolver
from ..publication import DOCUMENTS, Gone, NotFound

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/jwk+json",
              "application/jwk-set+json", "application/did+json", "application/did+ld+json", "text/plain")


def document_resolver(*, allow_remote: bool | None = None) -> Resolver:
    """Return a resolver: local documents first, then (when allowed) guarded HTTP fetches."""
    remote = tool_settings.REMOTE_FETCH if allow_remote is None else allow_remote

    def resolver(url: str) -> Any:
        local = local_document(url)
        if local is not _NOT_LOCAL:
            return local
        if not remote:
            raise ResolveError(url, "fetching documents from other hosts is disabled")
        return fetch_json(url)

    return resolver


_NOT_LOCAL = object()


def local_document(url: str) -> Any:
    """Return our own document for ``url``, or ``_NOT_LOCAL`` when the URL is not ours."""
    parts = urlsplit(url)
    ours = urlsplit(tool_settings.public_url)
    if (parts.hostname, parts.port) != (ours.hostname, ours.port) or not parts.path.startswith(ours.path or "/"):
        return _NOT_LOCAL
    path = parts.path[len(ours.path.rstrip("/")):] or "/"
    try:
        match = resolve(path)
    except Resolver404:
        raise ResolveError(url, "no such document on this service", status=404) from None
    function = DOCUMENTS.get(match.url_name or "")
    if function is None:
        return _NOT_LOCAL
    try:
        return json.loads(json.dumps(function(**match.kwargs)))
    except NotFound as error:
        raise ResolveError(url, str(error), status=404) from None
    except Gone:
        raise ResolveError(url, "gone", status=410) from None


def fetch_json(url: str) -> Any:
    """Fetch a JSON document from another host under the SSRF guard and size limits."""
    session = requests.Session()
    session.trust_env = False
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        _guard(current)
        try:
            response = session.get(current, timeout=tool_settings.REMOTE_FETCH_TIMEOUT, allow_redirects=False,
                                   stream=True, headers={"Accept": "application/ld+json, application/json"})
        except requests.RequestException as error:
            raise ResolveError(url, f"request failed: {type(error).__name__}") from None
        with response:
            if response.is_redirect:
                current = urljoin(current, response.headers.get("Location", ""))
                continue
            if response.status_code != 200:
                raise ResolveError(url, f"HTTP {response.status_code}", status=response.status_code)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type and content_type not in JSON_TYPES:
                raise ResolveError(url, f"unexpected content type {content_type}")
            body = _read_limited(response)
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise ResolveError(url, "response is not JSON") from None
    raise ResolveError(url, "too many redirects")


def _read_limited(response: requests.Response) -> bytes:
    limit = int(tool_settings.REMOTE_FETCH_MAX_BYTES)
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > limit:
            raise ResolveError(response.url, f"response is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _guard(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ResolveError(url, f"scheme {parts.scheme!r} is not allowed")
    if not parts.hostname:
        raise ResolveError(url, "URL has no host")
    if tool_settings.REMOTE_FETCH_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except socket.gaierror:
        raise ResolveError(url, "host does not resolve") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise ResolveError(url, f"host resolves to a non-public address ({ip}); refusing to fetch")
