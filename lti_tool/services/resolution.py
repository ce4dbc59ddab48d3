"""Resolve the documents verification needs: our own from the database, others over HTTP, guarded.

Remote fetches (issuer profiles, keys, status lists of other issuers) are limited: http(s) only, no
user-info or backslashes in the URL, a response size cap, JSON only, at most three redirects, an
overall deadline, and no private, loopback, link-local, reserved or translated (NAT64, 6to4)
addresses unless ``REMOTE_FETCH_ALLOW_PRIVATE`` is set. The host is resolved once, the addresses are
checked, and the connection goes to the checked address (with the original Host header and TLS server
name), so a second DNS answer cannot send it elsewhere; every redirect target is checked again.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from django.urls import Resolver404, resolve
from urllib3.exceptions import HTTPError, LocationParseError
from urllib3.util import Timeout, parse_url

from ..conf import tool_settings
from ..core.ports import ResolveError, Resolver
from ..publication import DOCUMENTS, Gone, NotFound

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/jwk+json",
              "application/jwk-set+json", "application/did+json", "application/did+ld+json", "text/plain")
# Address ranges that translate to IPv4 (RFC 6052 NAT64, RFC 3056 6to4): refused outright.
TRANSLATED = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16")]


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
    """Return our own document for ``url``, or ``_NOT_LOCAL`` when the URL is on another host.

    A URL on our host that names no public document is "not found": we never fetch ourselves.
    """
    try:
        parts = urlsplit(url)
        ours = urlsplit(tool_settings.public_url)
        same_host = (parts.hostname, parts.port) == (ours.hostname, ours.port)
    except ValueError:
        raise ResolveError(url, "not a valid URL") from None
    if not same_host:
        return _NOT_LOCAL
    prefix = ours.path.rstrip("/")
    if not parts.path.startswith(prefix + "/") and parts.path != prefix:
        raise ResolveError(url, "no such document on this service", status=404)
    try:
        match = resolve(parts.path[len(prefix):] or "/")
    except Resolver404:
        raise ResolveError(url, "no such document on this service", status=404) from None
    function = DOCUMENTS.get(match.url_name or "")
    if function is None:
        raise ResolveError(url, "this address on our service is a page, not a document", status=404)
    try:
        return json.loads(json.dumps(function(**match.kwargs)))
    except NotFound as error:
        raise ResolveError(url, str(error), status=404) from None
    except Gone:
        raise ResolveError(url, "gone", status=410) from None


class Fetched:
    """A response read under the guard: status, lower-cased headers, body bytes, final URL."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, url: str, reason: str = "") -> None:
        self.status, self.headers, self.body, self.url, self.reason = status, headers, body, url, reason

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise ResolveError(self.url, "response is not JSON") from None


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None,
          allow_private: bool | None = None, follow_redirects: bool = True, max_bytes: int | None = None,
          timeout: float | None = None) -> Fetched:
    """Make one HTTP request under the SSRF guard, size limit and deadline; follow GET redirects.

    Args:
        url: an http(s) URL on another host.
        method: GET or POST.
        headers: extra request headers (e.g. Authorization, Content-Type).
        body: request body for POST.
        allow_private: allow private addresses (admin-configured LMS endpoints); default from settings.
        follow_redirects: follow up to three redirects (GET only), checking each target again.
        max_bytes: response size limit (default ``REMOTE_FETCH_MAX_BYTES``).
        timeout: seconds for the whole exchange (default ``REMOTE_FETCH_TIMEOUT``).
    """
    private = tool_settings.REMOTE_FETCH_ALLOW_PRIVATE if allow_private is None else allow_private
    deadline = time.monotonic() + float(timeout if timeout is not None else tool_settings.REMOTE_FETCH_TIMEOUT)
    limit = int(max_bytes if max_bytes is not None else tool_settings.REMOTE_FETCH_MAX_BYTES)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        target = _checked_target(current, allow_private=private)
        status, response_headers, content, reason = _request(target, current, deadline, method=method,
                                                            headers=headers or {}, body=body, limit=limit)
        if follow_redirects and method == "GET" and status in (301, 302, 303, 307, 308):
            location = response_headers.get("location", "")
            if not location:
                raise ResolveError(url, f"HTTP {status} without a Location")
            current = urljoin(current, location)
            continue
        return Fetched(status, response_headers, content, current, reason)
    raise ResolveError(url, "too many redirects")


def fetch_json(url: str, *, allow_private: bool | None = None) -> Any:
    """Fetch a JSON document from another host under the SSRF guard, size limit and deadline."""
    response = fetch(url, headers={"Accept": "application/ld+json, application/json"}, allow_private=allow_private)
    if response.status != 200:
        raise ResolveError(url, f"HTTP {response.status}", status=response.status)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES:
        raise ResolveError(url, f"unexpected content type {content_type}")
    return response.json()


class _Target:
    def __init__(self, scheme: str, host: str, port: int, address: str, path: str) -> None:
        self.scheme, self.host, self.port, self.address, self.path = scheme, host, port, address, path


def host_check(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve ``host`` once, vet every address, and return the one to connect to (for non-HTTP protocols).

    Raises:
        ResolveError: the host does not resolve, or resolves to an address the guard refuses.
    """
    return _vetted_addresses(f"{host}:{port}", host, port, allow_private=allow_private)[0]


def url_check(url: str, *, allow_private: bool) -> None:
    """Raise :class:`ResolveError` unless ``url`` passes the guard (scheme, no tricks, public address)."""
    _checked_target(url, allow_private=allow_private)


def _checked_target(url: str, *, allow_private: bool) -> _Target:
    """Parse ``url`` as urllib3 does, refuse tricks, resolve the host once and vet its addresses."""
    if "\\" in url or any(ord(ch) < 0x21 or ord(ch) > 0x7E for ch in url):
        raise ResolveError(url, "URL holds characters outside printable ASCII or a backslash")
    try:
        parsed = parse_url(url)
    except (LocationParseError, ValueError):
        raise ResolveError(url, "not a valid URL") from None
    if parsed.scheme not in ("https", "http"):
        raise ResolveError(url, f"scheme {parsed.scheme!r} is not allowed")
    if parsed.auth:
        raise ResolveError(url, "URLs with user information are not fetched")
    if not parsed.host:
        raise ResolveError(url, "URL has no host")
    host = parsed.host.strip("[]")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = _vetted_addresses(url, host, port, allow_private=allow_private)[0]
    return _Target(parsed.scheme, host, port, address, parsed.request_uri)


def _vetted_addresses(where: str, host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve ``host`` once and check every address it has; return them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ResolveError(where, "host does not resolve") from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        _check_address(where, address, allow_private=allow_private)
    return addresses


def _check_address(url: str, address: str, *, allow_private: bool) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in TRANSLATED if ip.version == network.version):
        raise ResolveError(url, f"host resolves to a translated address ({ip}); refusing to fetch")
    if allow_private:
        return
    if not ip.is_global or ip.is_multicast:
        raise ResolveError(url, f"host resolves to a non-public address ({ip}); refusing to fetch")


def _request(target: _Target, url: str, deadline: float, *, method: str, headers: dict[str, str],
             body: bytes | None, limit: int) -> tuple[int, dict[str, str], bytes, str]:
    """Send to the checked address with the original Host and TLS name; read under the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ResolveError(url, "took too long")
    timeout = Timeout(connect=remaining, read=remaining)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=timeout, retries=False,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    if ":" in target.host:
        host_header = f"[{target.host}]" + ("" if target.port in (80, 443) else f":{target.port}")
    try:
        response = pool.urlopen(method, target.path, body=body, redirect=False, preload_content=False,
                                headers={"Accept": "application/json", "User-Agent": "Accolade/1", **headers,
                                         "Host": host_header})
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResolveError(url, f"response is larger than {limit} bytes")
            chunks, size = [], 0
            while chunk := response.read1(65536):  # one receive at a time, so the deadline holds
                size += len(chunk)
                if size > limit:
                    raise ResolveError(url, f"response is larger than {limit} bytes")
                if time.monotonic() > deadline:
                    raise ResolveError(url, "took too long")
                chunks.append(chunk)
            return (response.status, {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks),
                    response.reason or "")
        finally:
            response.release_conn()
    except ResolveError:
        raise
    except (HTTPError, OSError, ValueError) as error:
        raise ResolveError(url, f"request failed: {type(error).__name__}") from None
    finally:
        pool.close()
