"""Call the platform's LTI Advantage services: OAuth 2 access tokens, AGS line items, results and scores, NRPS.

* Tokens (1EdTech Security Framework 1.0 §4.1): ``client_credentials`` with an RS256 JWT client
  assertion signed by the tool key (``iss`` = ``sub`` = client id, ``aud`` = the token URL or the
  registration's audience, 5 minutes, fresh ``jti``); cached per registration and scope set until
  a minute before expiry; a 401 drops the cached token and retries once. Moodle labels the JSON
  token response ``text/html``: the body is read as JSON whatever the label.
* Paging (AGS 2.0 §3.2, NRPS 2.0 §2.4.2): every page is read by following ``rel=next`` with
  :mod:`lti_tool.lti.links` (Moodle's typographic quotes, sent as raw UTF-8 header bytes, and
  ``&amp;``), stopping on a repeated URL or after ``MAX_PAGES``. Results are never requested
  with ``limit`` (Moodle 5.1 answers a paged results request with a 404 error page).
* URLs (AGS 2.0 §3.2): ``/results`` and ``/scores`` go into the line item URL's *path*, before any
  query (Moodle's ``?type_id=1``).
* Every request goes through the SSRF-guarded fetcher, private addresses allowed only when
  ``LTI_PLATFORM_ALLOW_PRIVATE`` (an admin approved this platform).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from django.core.cache import cache

from ..conf import tool_settings
from ..core.ports import ResolveError
from ..models import LtiRegistration
from ..services.lti_keys import lti_tool_key_active, lti_tool_key_private_pem
from ..services.resolution import Fetched, fetch
from .links import links

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_READONLY = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

MAX_PAGES = 500
MAX_PAGE_BYTES = 8 * 1024 * 1024
TIMEOUT = 20.0


class ServiceCallError(Exception):
    """Raise when a platform service cannot be used: the message says which call and why."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    links: dict[str, str]


def service_url(url: str, suffix: str) -> str:
    """Return ``url`` with ``suffix`` appended to its path, keeping the query (AGS 2.0 §3.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix, parts.query, ""))


def same_origin(url: str, other: str) -> bool:
    """Return whether two URLs share scheme, host and port (where a bearer token may be sent)."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def access_token(registration: LtiRegistration, scopes: Iterable[str], *, fresh: bool = False) -> str:
    """Return a bearer token for ``scopes`` from the platform's token endpoint (cached until near expiry)."""
    scope = " ".join(sorted(set(scopes)))
    key = f"accolade:lti-token:{registration.pk}:{uuid.uuid5(uuid.NAMESPACE_URL, scope)}"
    if not fresh:
        cached = cache.get(key)
        if cached:
            return cached
    if not registration.auth_token_url:
        raise ServiceCallError(f"registration {registration} has no token URL; set it in the admin")
    tool_key = lti_tool_key_active()
    now = int(time.time())
    assertion = jwt.encode({"iss": registration.client_id, "sub": registration.client_id,
                            "aud": registration.auth_audience or registration.auth_token_url,
                            "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())},
                           lti_tool_key_private_pem(tool_key), algorithm="RS256", headers={"kid": tool_key.kid})
    body = urlencode({"grant_type": "client_credentials",
                      "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                      "client_assertion": assertion, "scope": scope}).encode()
    response = _send(registration.auth_token_url, method="POST", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                     what="the token endpoint")
    if response.status != 200:
        raise ServiceCallError(f"the token endpoint refused (HTTP {response.status}: {said(response)})",
                               status=response.status)
    data = _json(response, "the token endpoint")
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise ServiceCallError("the token endpoint's answer has no access_token")
    expires_in = data.get("expires_in", 3600)
    lifetime = int(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 3600
    cache.set(key, token, max(lifetime - 60, 1))
    return token


def call(registration: LtiRegistration, url: str, *, scopes: Iterable[str], accept: str, method: str = "GET",
         body: Any = None, content_type: str | None = None) -> Fetched:
    """Make one authorised service request; on 401 get a new token and try once more."""
    scopes = list(scopes)
    payload = json.dumps(body).encode() if body is not None else None
    for attempt in range(2):
        token = access_token(registration, scopes, fresh=attempt > 0)
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        response = _send(url, method=method, body=payload, headers=headers, what=url)
        if response.status != 401:
            return response
    return response


def read_all(registration: LtiRegistration, url: str, *, scopes: Iterable[str], accept: str,
             member_key: str | None = None) -> Page:
    """Return the items of every page of a container, following ``rel=next``; ``links`` of the last page.

    ``member_key`` names the array inside an object body (NRPS ``members``); AGS containers are arrays.
    """
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = url
    last_links: dict[str, str] = {}
    while current:
        if current in seen or len(seen) >= MAX_PAGES:
            # A platform that links back to a page already read, or never ends: the list is not
            # known to be complete, and a roster read short would mark everyone after it as gone.
            raise ServiceCallError(f"{url} did not end after {len(seen)} pages (repeated or endless next links)")
        seen.add(current)
        response = call(registration, current, scopes=scopes, accept=accept)
        if response.status != 200:
            raise ServiceCallError(f"GET {current} answered HTTP {response.status} ({said(response)})",
                                   status=response.status)
        data = _json(response, current)
        page = data.get(member_key) if member_key and isinstance(data, dict) else data
        if not isinstance(page, list):
            raise ServiceCallError(f"GET {current} did not answer with a list of items")
        items.extend(item for item in page if isinstance(item, dict))
        last_links = links(_utf8_header(response.headers.get("link")), base=current)
        current = last_links.get("next")
        if current and not same_origin(current, url):
            raise ServiceCallError(f"{url} links its next page to another site ({current}); the token stays here")
    return Page(items, last_links)


def _send(url: str, *, method: str, body: bytes | None, headers: dict[str, str], what: str) -> Fetched:
    try:
        return fetch(url, method=method, body=body, headers=headers, follow_redirects=False,
                     allow_private=bool(tool_settings.LTI_PLATFORM_ALLOW_PRIVATE), max_bytes=MAX_PAGE_BYTES,
                     timeout=TIMEOUT)
    except ResolveError as error:
        raise ServiceCallError(f"could not reach {what}: {error}") from None


def _utf8_header(value: str | None) -> str | None:
    """Return a header as UTF-8 text.

    HTTP clients decode header bytes as Latin-1, and Moodle writes its Link header's typographic
    quotes (U+201C/U+201D) as raw UTF-8 bytes.
    """
    if not value:
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _json(response: Fetched, what: str) -> Any:
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError):
        raise ServiceCallError(f"{what} did not answer with JSON") from None


def said(response: Fetched) -> str:
    """Return what the platform said about an error: Moodle puts it in the reason phrase, body ``[]``."""
    text = response.body[:300].decode("utf-8", "replace").strip()
    reason = response.reason.strip()
    if text in ("", "[]", "{}"):
        return reason or "no details"
    return f"{reason}: {text}" if reason else text
