"""LTI Dynamic Registration 1.0, tool side (https://www.imsglobal.org/spec/lti-dr/v1p0), and approval.

The flow (LTI DR 1.0 §3): the platform opens our registration page with ``openid_configuration`` (a
URL) and ``registration_token``; we GET the configuration with the token as a bearer (Canvas requires
it on this GET; research lti.md §3), check it (§3.5.1: the configuration URL lies under the issuer),
POST our client registration to its ``registration_endpoint`` with the same bearer (§3.3), and store
what came back: the platform, a **pending** registration (``client_id`` and the platform endpoints)
and, when the answer carries ``deployment_id`` in the tool configuration (Moodle, Brightspace, Sakai),
a **pending** deployment. Nothing can launch until an Accolade administrator approves both and
chooses the issuer whose name and keys sign the deployment's credentials.

Rules beyond the spec, because everything the platform sends is untrusted:

* **HTTPS.** The configuration URL, the issuer and every endpoint must be ``https``. Plain ``http``
  is accepted only for a platform on a loopback address (``localhost``, 127.0.0.0/8, ``::1``), and only
  outside production (``LTI_REGISTRATION_HTTP_LOOPBACK``; ``None`` means "when not production"). A
  loopback LMS is a developer's or a test's; a real one in production is never on loopback.
* **Addresses.** Both requests go through the SSRF-guarded :func:`~lti_tool.services.resolution.fetch`
  (no redirects followed; private addresses only outside production or with
  ``LTI_REGISTRATION_ALLOW_PRIVATE``), with its size
  and time limits; documents over ``MAX_DOCUMENT_BYTES`` are refused.
* **Fields.** URLs are at most 500 characters and must pass Django's URL validator; ids at most 255
  printable characters; no NUL anywhere (PostgreSQL cannot store it in JSON).
* **Audience.** The spec's optional ``authorization_server`` becomes the client-assertion audience
  only when it is a URL (Brightspace: ``https://api.brightspace.com/auth/token``). Canvas advertises a
  bare host there while its token endpoint checks ``aud`` against the token URL, so a bare host is
  ignored and the token URL is used.

Re-registration: registrations are unique per issuer and ``client_id``. When the platform answers with
a ``client_id`` we already hold, a **pending** registration is refreshed in place (nobody has approved
it, nothing depends on it); an **active or disabled** one is never overwritten: the registration is
refused with a message and nothing is stored. The platform has by then created (or, Moodle's
"Update" choice, changed) its side; the message says what to do about it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from ..conf import tool_settings
from ..core.ports import ResolveError
from ..models import Issuer, LtiDeployment, LtiPlatform, LtiPlatformKeySet, LtiRegistration
from ..services.errors import ServiceError
from ..services.resolution import Fetched, fetch
from . import claims as c

logger = logging.getLogger(__name__)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"
CANVAS_ACCOUNT_NAME = "https://canvas.instructure.com/lti/account_name"

AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = (*AGS_SCOPES, NRPS_SCOPE)
TOOL_CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
TOOL_NAME = "Accolade"
TOOL_DESCRIPTION = ("Open Badges 3.0 for your courses: place a badge with Deep Linking; learners see what it "
                    "takes, their progress, and download and share the credential once earned.")
# Placements we ask for, per message, among those the platform lists (LTI DR 1.0 §4.2.1; Moodle:
# ContentArea; Canvas: assignment_selection / link_selection). Resource links are created by Deep
# Linking, so the resource-link message needs no menu placement.
WANTED_PLACEMENTS: dict[str, tuple[str, ...]] = {
    c.DEEP_LINKING_REQUEST: ("ContentArea", "assignment_selection", "link_selection"),
    c.RESOURCE_LINK_REQUEST: (),
}
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")

MAX_URL = 500                   # LtiPlatform.issuer and LtiRegistration URL fields
MAX_CONFIGURATION_URL = 4096    # Canvas puts the registration token in the configuration URL too
MAX_TOKEN = 8192
MAX_ID = 255
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_LIST = 500
MIN_CODE_LENGTH = 16
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_FAMILIES = {"moodle": LtiPlatform.Family.MOODLE, "canvas": LtiPlatform.Family.CANVAS,
             "desire2learn": LtiPlatform.Family.BRIGHTSPACE, "brightspace": LtiPlatform.Family.BRIGHTSPACE,
             "d2l": LtiPlatform.Family.BRIGHTSPACE, "sakai": LtiPlatform.Family.SAKAI,
             "openedx": LtiPlatform.Family.OPEN_EDX, "open-edx": LtiPlatform.Family.OPEN_EDX,
             "edx": LtiPlatform.Family.OPEN_EDX}


class RegistrationRefused(Exception):
    """Raise when Dynamic Registration cannot go on; the message is for the LMS administrator.

    ``status`` is the HTTP status of our page, ``code`` names the rule and ``details`` lists what the
    platform said (shortened). Whoever raises it has stored nothing.
    """

    def __init__(self, message: str, *, status: int = 400, code: str = "refused",
                 details: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = list(details)


class ApprovalRefused(ServiceError):
    """Raise when a registration or deployment cannot be approved (say why)."""


# --- What the tool tells platforms about itself ------------------------------------------------------

def tool_urls() -> dict[str, str]:
    """Return the tool's URLs and domain, as an LMS administrator enters them (LTI Core 1.3 §4.1)."""
    base = tool_settings.public_url
    return {
        "domain": urlsplit(base).netloc,
        "login": f"{base}/lti/login",
        "launch": f"{base}/lti/launch",
        "target_link_uri": f"{base}/lti/launch",
        "redirect_uris": f"{base}/lti/launch",
        "deep_linking": f"{base}/lti/launch",
        "jwks": f"{base}/lti/jwks",
        "logo": f"{base}/lti/logo.svg",
        "dynamic_registration": f"{base}/lti/register",
    }


def canvas_developer_key_config() -> dict[str, Any]:
    """Return the JSON to paste into a Canvas LTI developer key (canvas-lms doc/api/lti_dev_key_config.md)."""
    urls = tool_urls()
    placements = [{"placement": placement, "message_type": c.DEEP_LINKING_REQUEST,
                   "target_link_uri": urls["deep_linking"], "text": TOOL_NAME, "icon_url": urls["logo"]}
                  for placement in ("assignment_selection", "link_selection")]
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["target_link_uri"],
        "public_jwk_url": urls["jwks"],
        "scopes": list(TOOL_SCOPES),
        "extensions": [{"domain": urls["domain"], "platform": "canvas.instructure.com", "privacy_level": "public",
                        "settings": {"text": TOOL_NAME, "icon_url": urls["logo"], "placements": placements}}],
        "custom_fields": {},
    }


# --- Who may open the registration page ---------------------------------------------------------------

def registration_code_accepts(code: str) -> bool:
    """Return True when ``code`` equals ``LTI_REGISTRATION_CODE`` (constant time).

    An empty code, or one shorter than ``MIN_CODE_LENGTH`` characters, opens nothing: such a
    code could be guessed over the internet, so only a logged-in staff user can register then.
    """
    expected = str(tool_settings.LTI_REGISTRATION_CODE or "")
    if len(expected) < MIN_CODE_LENGTH or not code:
        return False
    return hmac.compare_digest(code.encode("utf-8"), expected.encode("utf-8"))


# --- The platform's OpenID configuration (LTI DR 1.0 §3.4) ------------------------------------------

@dataclass(frozen=True)
class PlatformConfiguration:
    """A checked platform configuration: what registration and later launches need."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    auth_audience: str
    product_family_code: str
    family: str
    scopes_supported: tuple[str, ...] | None
    messages_supported: dict[str, tuple[str, ...]]
    document: dict[str, Any] = field(repr=False)

    @property
    def display_name(self) -> str:
        label = LtiPlatform.Family(self.family).label if self.family != LtiPlatform.Family.OTHER \
            else (self.product_family_code or "LMS")
        return f"{label} ({urlsplit(self.issuer).netloc})"[:200]


def http_loopback_allowed() -> bool:
    """Return True when plain-HTTP platforms on loopback are accepted (never in production by default)."""
    option = tool_settings.LTI_REGISTRATION_HTTP_LOOPBACK
    if option is None:
        return not getattr(settings, "PRODUCTION", False)
    return bool(option)


def private_addresses_allowed() -> bool:
    """Return True when registration may reach private addresses (never in production by default).

    The configuration URL and the registration endpoint come from whoever holds the registration
    code, not from an admin, so in production they are held to public addresses unless an admin
    opts in (``LTI_REGISTRATION_ALLOW_PRIVATE``, for an LMS on the campus network).
    """
    option = tool_settings.LTI_REGISTRATION_ALLOW_PRIVATE
    if option is None:
        return not getattr(settings, "PRODUCTION", False)
    return bool(option)


def checked_url(value: Any, what: str, *, max_length: int = MAX_URL, query: bool = True) -> str:
    """Return ``value`` when it is an acceptable platform URL (HTTPS rule, no user info or fragment).

    Raises:
        RegistrationRefused: missing, too long, malformed or insecure.
    """
    if value is None or value == "":
        raise RegistrationRefused(f"The platform's {what} is missing.", code="config_invalid", status=502)
    if not isinstance(value, str):
        raise RegistrationRefused(f"The platform's {what} is not a URL string.", code="config_invalid", status=502)
    if len(value) > max_length:
        raise RegistrationRefused(f"The platform's {what} is longer than {max_length} characters.",
                                  code="config_invalid", status=502)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise RegistrationRefused(f"The platform's {what} contains spaces or control characters.",
                                  code="config_invalid", status=502)
    try:
        parts = urlsplit(value)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise RegistrationRefused(f"The platform's {what} is not a valid URL.", code="config_invalid",
                                  status=502) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise RegistrationRefused(f"The platform's {what} must be an https:// URL.", code="insecure_url",
                                  status=502)
    if parts.username is not None or parts.password is not None or parts.fragment or (parts.query and not query):
        raise RegistrationRefused(f"The platform's {what} must not carry user information, a fragment"
                                  + ("" if query else " or a query") + ".", code="config_invalid", status=502)
    if scheme == "http":
        shown = without_query(value)
        if not is_loopback(host):
            raise RegistrationRefused(f"The platform's {what} ({shown}) uses plain HTTP; Accolade registers only "
                                      "with platforms served over HTTPS.", code="insecure_url", status=502)
        if not http_loopback_allowed():
            raise RegistrationRefused(f"The platform's {what} ({shown}) uses plain HTTP on this machine; that is "
                                      "accepted only outside production.", code="insecure_url", status=502)
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise RegistrationRefused(f"The platform's {what} is not a valid URL.", code="config_invalid",
                                  status=502) from None
    return value


def is_loopback(host: str) -> bool:
    """Return True for ``localhost`` and loopback IP addresses."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def issuer_matches(issuer: str, configuration_url: str) -> bool:
    """Return True when the configuration URL lies under the issuer (LTI DR 1.0 §3.5.1).

    Same scheme, host and port, and the URL path starts with the issuer path at a segment boundary
    (a plain ``startswith`` would let ``https://lms.edu.evil.example`` pass for ``https://lms.edu``).
    """
    try:
        i, u = urlsplit(issuer), urlsplit(configuration_url)
        same_origin = (i.scheme.lower(), i.hostname, i.port or _default_port(i.scheme)) == \
            (u.scheme.lower(), u.hostname, u.port or _default_port(u.scheme))
    except ValueError:
        return False
    prefix = i.path.rstrip("/")
    return same_origin and (u.path == prefix or u.path.startswith(prefix + "/"))


def without_query(url: str) -> str:
    """Return ``url`` without its query: Canvas puts the registration token there, and messages are logged."""
    return url.split("?", 1)[0].split("#", 1)[0]


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def platform_configuration_validate(*, url: str, document: Any) -> PlatformConfiguration:
    """Check an OpenID configuration document fetched from ``url`` (LTI DR 1.0 §3.4, §3.5.1).

    Raises:
        RegistrationRefused: not an object, a required member missing or malformed, an insecure
            URL, or an issuer that does not match the configuration URL.
    """
    if not isinstance(document, dict):
        raise RegistrationRefused("The platform's configuration is not a JSON object.", code="config_invalid",
                                  status=502)
    _refuse_nul(document)
    issuer = checked_url(document.get("issuer"), "issuer", query=False)
    if not issuer_matches(issuer, url):
        raise RegistrationRefused(f"The configuration at {without_query(url)} names the issuer {issuer}, but the "
                                  "configuration URL must lie under the issuer (LTI Dynamic Registration §3.5.1).",
                                  code="issuer_mismatch", status=400)
    endpoints = {name: checked_url(document.get(name), name) for name in REQUIRED_ENDPOINTS}
    platform = document.get(PLATFORM_CONFIGURATION)
    if not isinstance(platform, dict):
        raise RegistrationRefused(f"The platform's configuration lacks the {PLATFORM_CONFIGURATION} object.",
                                  code="config_invalid", status=502)
    family_code = platform.get("product_family_code")
    if not isinstance(family_code, str) or not family_code.strip() or len(family_code) > 100:
        raise RegistrationRefused("The platform's configuration has no product_family_code.",
                                  code="config_invalid", status=502)
    _require_listed(document, "token_endpoint_auth_methods_supported", "private_key_jwt",
                    "signed client assertions (private_key_jwt)")
    _require_listed(document, "id_token_signing_alg_values_supported", "RS256", "RS256-signed id_tokens")
    scopes = document.get("scopes_supported")
    return PlatformConfiguration(
        url=url, issuer=issuer, **endpoints,
        auth_audience=_audience(document.get("authorization_server"), endpoints["token_endpoint"]),
        product_family_code=family_code.strip(),
        family=_FAMILIES.get(family_code.strip().lower(), LtiPlatform.Family.OTHER),
        scopes_supported=tuple(_strings(scopes, limit=200)) if isinstance(scopes, list) else None,
        messages_supported=_messages(platform.get("messages_supported")),
        document=document)


def platform_configuration_fetch(*, url: str, registration_token: str) -> PlatformConfiguration:
    """GET the platform's OpenID configuration with the registration token as bearer, and check it.

    Raises:
        RegistrationRefused: unreachable, refused, not JSON, too large, or invalid (see above).
    """
    checked_url(url, "openid_configuration URL", max_length=MAX_CONFIGURATION_URL)
    try:
        response = fetch(url, headers={"Authorization": f"Bearer {registration_token}",
                                       "Accept": "application/json"},
                         allow_private=private_addresses_allowed(), follow_redirects=False)
    except ResolveError as error:
        raise RegistrationRefused(f"Accolade could not read the platform's configuration at {without_query(url)}: "
                                  f"{_transport_problem(error)}.", code="config_unreachable", status=502) from None
    if response.status in (401, 403):
        raise RegistrationRefused(f"The platform refused the registration token when Accolade read its "
                                  f"configuration (HTTP {response.status}). Registration tokens are single-use and "
                                  "expire; start the registration again from the LMS.", code="config_refused",
                                  status=502, details=_platform_messages(response))
    if response.status != 200:
        raise RegistrationRefused(f"The platform's configuration URL answered HTTP {response.status}"
                                  + (" (a redirect, which Accolade does not follow: give the final URL)"
                                     if 300 <= response.status < 400 else "") + ".",
                                  code="config_unreachable", status=502)
    return platform_configuration_validate(url=url, document=_json_object(response, "configuration"))


# --- Our client registration (LTI DR 1.0 §3.3, §4) --------------------------------------------------

def tool_registration_request(*, configuration: PlatformConfiguration) -> dict[str, Any]:
    """Return the client registration we POST: OAuth 2 client metadata plus the LTI tool configuration."""
    urls = tool_urls()
    messages = []
    for message_type, wanted in WANTED_PLACEMENTS.items():
        supported = configuration.messages_supported
        if supported and message_type not in supported:
            continue  # the platform lists its messages and this one is not among them
        message: dict[str, Any] = {"type": message_type, "target_link_uri": urls["launch"], "label": TOOL_NAME,
                                   "icon_uri": urls["logo"]}
        placements = [p for p in wanted if p in supported.get(message_type, ())]
        if placements:
            message["placements"] = placements
        messages.append(message)
    tool_configuration: dict[str, Any] = {
        "domain": urls["domain"],
        "target_link_uri": urls["target_link_uri"],
        "description": TOOL_DESCRIPTION,
        "claims": list(TOOL_CLAIMS),
        "messages": messages,
    }
    if configuration.family == LtiPlatform.Family.CANVAS:
        # Canvas sends names and email only at privacy level "public" (its default is "anonymous").
        tool_configuration[CANVAS_PRIVACY_LEVEL] = "public"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["client_credentials", "implicit"],
        "initiate_login_uri": urls["login"],
        "redirect_uris": [urls["launch"]],
        "client_name": TOOL_NAME,
        "jwks_uri": urls["jwks"],
        "logo_uri": urls["logo"],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(requested_scopes(configuration)),
        TOOL_CONFIGURATION: tool_configuration,
    }


def requested_scopes(configuration: PlatformConfiguration) -> list[str]:
    """Return our AGS and NRPS scopes that the platform supports (all of them when it does not say)."""
    if configuration.scopes_supported is None:
        return list(TOOL_SCOPES)
    return [scope for scope in TOOL_SCOPES if scope in configuration.scopes_supported]


@dataclass(frozen=True)
class DynamicRegistration:
    """The outcome: what was stored, and whether a pending registration was refreshed."""

    platform: LtiPlatform
    registration: LtiRegistration
    deployment: LtiDeployment | None
    configuration: PlatformConfiguration
    refreshed: bool


def lti_registration_create_dynamic(*, openid_configuration_url: str, registration_token: str
                                    ) -> DynamicRegistration:
    """Run Dynamic Registration: read the configuration, register, store pending records.

    Args:
        openid_configuration_url: the ``openid_configuration`` parameter of the initiation request.
        registration_token: the ``registration_token`` parameter, sent as bearer on the GET and POST.

    Raises:
        RegistrationRefused: any failure; nothing is stored then.
    """
    _check_token(registration_token)
    configuration = platform_configuration_fetch(url=openid_configuration_url, registration_token=registration_token)
    request_body = tool_registration_request(configuration=configuration)
    answer = registration_answer_read(answer=_post_registration(configuration, registration_token, request_body),
                                      requested=requested_scopes(configuration))
    return _store(configuration, client_id=answer.client_id, deployment_id=answer.deployment_id,
                  scopes=answer.scopes)


@dataclass(frozen=True)
class RegistrationAnswer:
    """What we keep from the platform's answer (LTI DR 1.0 §3.5)."""

    client_id: str
    deployment_id: str | None
    scopes: list[str]


def registration_answer_read(*, answer: Mapping[str, Any], requested: list[str]) -> RegistrationAnswer:
    """Read ``client_id``, the tool configuration's ``deployment_id`` and the granted scopes.

    Scopes: those we asked for that the answer's ``scope`` still lists (an administrator may have
    removed some), or all we asked for when the answer has no ``scope``.

    Raises:
        RegistrationRefused: no usable ``client_id``, or a malformed ``deployment_id``.
    """
    client_id = _identifier(answer.get("client_id"), "client_id")
    if client_id is None:
        raise RegistrationRefused("The platform's registration answer has no client_id.", code="response_invalid",
                                  status=502)
    tool_answer = answer.get(TOOL_CONFIGURATION)
    deployment_id = _identifier(tool_answer.get("deployment_id"), "deployment_id") \
        if isinstance(tool_answer, dict) else None
    granted = answer.get("scope")
    scopes = [scope for scope in requested if scope in granted.split()] if isinstance(granted, str) \
        else list(requested)
    return RegistrationAnswer(client_id=client_id, deployment_id=deployment_id, scopes=scopes)


def _check_token(token: str) -> None:
    if not token:
        raise RegistrationRefused("The request has no registration_token; start the registration from the LMS.")
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise RegistrationRefused("The registration_token is not a bearer token (RFC 6750 characters only).")


def _post_registration(configuration: PlatformConfiguration, token: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = fetch(configuration.registration_endpoint, method="POST",
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                  "Accept": "application/json"},
                         body=json.dumps(body).encode("utf-8"),
                         allow_private=private_addresses_allowed(), follow_redirects=False)
    except ResolveError as error:
        raise RegistrationRefused(f"Accolade could not complete the registration at "
                                  f"{configuration.registration_endpoint}: {_transport_problem(error)}. Nothing was "
                                  "stored; try again from the LMS.", code="platform_unreachable", status=502) from None
    if response.status in (200, 201):
        return _json_object(response, "registration answer")
    raise _platform_refusal(response)


def _transport_problem(error: ResolveError) -> str:
    text = str(error)
    if "Timeout" in text or "took too long" in text:
        return f"the platform did not answer within {float(tool_settings.REMOTE_FETCH_TIMEOUT):g} seconds"
    return text


def _platform_refusal(response: Fetched) -> RegistrationRefused:
    """Turn a failed registration answer into a message: spec 400, Canvas 422, Moodle text, or other."""
    details = _platform_messages(response)
    status = response.status
    if status in (401, 403):
        lead = (f"The platform refused the registration token (HTTP {status}). Registration tokens are single-use "
                "and expire after about an hour; start the registration again from the LMS.")
    elif status in (400, 422):
        lead = f"The platform refused Accolade's registration (HTTP {status})."
    elif status >= 500:
        lead = f"The platform failed while registering Accolade (HTTP {status}); try again later."
    else:
        lead = f"The platform answered the registration with HTTP {status}."
    return RegistrationRefused(lead + " Nothing was stored.", code="platform_refused", status=502, details=details)


def _platform_messages(response: Fetched) -> list[str]:
    """Return what the platform said, shortened.

    Shapes: ``{error, error_description}`` (RFC 7591 §3.2.2), ``{"errors": [...]}`` (Canvas),
    ``{"errorMessage"}`` (Canvas), or a short plain-text body (Moodle).
    """
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError):
        text = response.body[:400].decode("utf-8", "replace").strip()
        content_type = response.headers.get("content-type", "")
        plain = text and "<" not in text and ("text/plain" in content_type or "text/html" in content_type
                                             or not content_type)
        return [_short(text)] if plain else []
    messages: list[str] = []
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            description = data.get("error_description")
            messages.append(data["error"] + (f": {description}" if isinstance(description, str) else ""))
        errors = data.get("errors")
        if isinstance(errors, list):
            messages.extend(_error_text(item) for item in errors[:5])
        elif isinstance(errors, dict):
            messages.extend(f"{name}: {_error_text(item)}" for name, item in list(errors.items())[:5])
        if isinstance(data.get("errorMessage"), str):
            messages.append(data["errorMessage"])
    elif isinstance(data, str):
        messages.append(data)
    return [_short(m) for m in messages if m][:5]


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return "; ".join(_error_text(i) for i in item[:3])
    if isinstance(item, dict):
        text = next((item[k] for k in ("message", "error_description", "error", "type") if isinstance(
            item.get(k), str)), "")
        where = item.get("field") or item.get("attribute")
        return f"{where}: {text}" if isinstance(where, str) and text else text
    return ""


def _short(text: str) -> str:
    text = " ".join(text.replace("\x00", "").split())
    return text if len(text) <= 300 else text[:299] + "…"


def _json_object(response: Fetched, what: str) -> dict[str, Any]:
    if len(response.body) > MAX_DOCUMENT_BYTES:
        raise RegistrationRefused(f"The platform's {what} is larger than {MAX_DOCUMENT_BYTES // 1024} KiB.",
                                  code="config_invalid" if what == "configuration" else "response_invalid",
                                  status=502)
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise RegistrationRefused(f"The platform's {what} is not a JSON object"
                                  + (f" (it sent {response.headers.get('content-type')})"
                                     if response.headers.get("content-type") else "") + ".",
                                  code="config_invalid" if what == "configuration" else "response_invalid",
                                  status=502)
    _refuse_nul(data)
    return data


def _refuse_nul(value: Any) -> None:
    """Refuse NUL characters anywhere (keys or strings): PostgreSQL JSON cannot hold them."""
    if isinstance(value, str):
        if "\x00" in value:
            raise RegistrationRefused("The platform sent a NUL character in its data.", code="config_invalid",
                                      status=502)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


def _identifier(value: Any, what: str) -> str | None:
    """Return an id from the platform as a string (numbers allowed), None when absent; refuse junk."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RegistrationRefused(f"The platform's {what} is not a string.", code="response_invalid", status=502)
    text = str(value)
    if len(text) > MAX_ID or text != text.strip() or not text.isprintable():
        raise RegistrationRefused(f"The platform's {what} is longer than {MAX_ID} characters or holds spaces at its "
                                  "ends or control characters.", code="response_invalid", status=502)
    return text


def _require_listed(document: Mapping[str, Any], member: str, value: str, meaning: str) -> None:
    listed = document.get(member)
    if isinstance(listed, list) and value not in listed:
        raise RegistrationRefused(f"The platform does not support {meaning} ({member}); LTI 1.3 needs them.",
                                  code="config_invalid", status=502)


def _audience(value: Any, token_endpoint: str) -> str:
    if not isinstance(value, str) or value == token_endpoint:
        return ""
    try:
        return checked_url(value, "authorization_server")
    except RegistrationRefused:
        return ""  # e.g. Canvas's bare host: the token URL is the audience there


def _strings(value: Any, *, limit: int) -> list[str]:
    return [item for item in (value if isinstance(value, list) else [])[:MAX_LIST]
            if isinstance(item, str) and 0 < len(item) <= limit]


def _messages(value: Any) -> dict[str, tuple[str, ...]]:
    """Return message type → placements from ``messages_supported`` (objects, or bare type strings)."""
    result: dict[str, tuple[str, ...]] = {}
    for entry in (value if isinstance(value, list) else [])[:MAX_LIST]:
        if isinstance(entry, str) and 0 < len(entry) <= 100:
            result.setdefault(entry, ())
        elif isinstance(entry, dict) and isinstance(entry.get("type"), str) and 0 < len(entry["type"]) <= 100:
            placements = tuple(_strings(entry.get("placements"), limit=100))
            result[entry["type"]] = tuple(dict.fromkeys(result.get(entry["type"], ()) + placements))
    return result


def _store(configuration: PlatformConfiguration, *, client_id: str, deployment_id: str | None,
           scopes: list[str]) -> DynamicRegistration:
    fields = {"auth_login_url": configuration.authorization_endpoint,
              "auth_token_url": configuration.token_endpoint,
              "auth_audience": configuration.auth_audience,
              "key_set_url": configuration.jwks_uri,
              "scopes": scopes,
              "openid_configuration": configuration.document,
              "registered_via": "dynamic",
              "status": LtiRegistration.Status.PENDING}
    try:
        with transaction.atomic():
            platform = _platform(configuration)
            existing = (LtiRegistration.objects.select_for_update()
                        .filter(platform=platform, client_id=client_id).first())
            if existing is not None and existing.status != LtiRegistration.Status.PENDING:
                raise RegistrationRefused(
                    f"Accolade already has a registration for {configuration.issuer} with client id {client_id}, "
                    f"and it is {existing.get_status_display().lower()}; Accolade did not change it. If the LMS "
                    "created a new tool, remove it there; to change the registration, an Accolade administrator "
                    "edits it in the admin.", code="already_registered", status=409)
            if existing is not None:
                for name, value in fields.items():
                    setattr(existing, name, value)
                existing.save()
                LtiPlatformKeySet.objects.filter(registration=existing).delete()
                registration = existing
            else:
                registration = LtiRegistration.objects.create(platform=platform, client_id=client_id, **fields)
            deployment = None
            if deployment_id is not None:
                deployment, _ = LtiDeployment.objects.get_or_create(
                    registration=registration, deployment_id=deployment_id,
                    defaults={"status": LtiDeployment.Status.PENDING})
    except IntegrityError:
        raise RegistrationRefused("Another registration for this platform was stored at the same moment; nothing "
                                  "was changed. Look at the registrations in Accolade's admin.",
                                  code="already_registered", status=409) from None
    logger.info("LTI Dynamic Registration stored: issuer %s client %s deployment %s (pending)",
                configuration.issuer, client_id, deployment_id)
    return DynamicRegistration(platform=platform, registration=registration, deployment=deployment,
                               configuration=configuration, refreshed=existing is not None)


def _platform(configuration: PlatformConfiguration) -> LtiPlatform:
    with transaction.atomic():
        platform, created = LtiPlatform.objects.get_or_create(
            issuer=configuration.issuer,
            defaults={"name": configuration.display_name, "family": configuration.family})
    if not created and platform.family == LtiPlatform.Family.OTHER and configuration.family != platform.family:
        platform.family = configuration.family
        platform.save(update_fields=["family"])
    return platform


# --- Approval by an Accolade administrator ------------------------------------------------------------

@dataclass(frozen=True)
class Approval:
    """What approving a registration did: deployments activated, and those still waiting for an issuer."""

    registration: LtiRegistration
    activated: list[LtiDeployment]
    waiting: list[LtiDeployment]


def lti_registration_approve(*, registration: LtiRegistration, issuer: Issuer | None = None) -> Approval:
    """Activate a registration and its pending deployments that have (or get) an issuer.

    Args:
        registration: the registration to activate.
        issuer: assigned to pending deployments that have none; deployments without an issuer stay pending.
    """
    with transaction.atomic():
        registration = LtiRegistration.objects.select_for_update().get(pk=registration.pk)
        registration.status = LtiRegistration.Status.ACTIVE
        registration.save(update_fields=["status"])
        activated, waiting = [], []
        for deployment in registration.deployments.select_for_update().filter(status=LtiDeployment.Status.PENDING):
            if deployment.issuer_id is None and issuer is not None:
                deployment.issuer = issuer
            if deployment.issuer_id is None:
                waiting.append(deployment)
                continue
            deployment.status = LtiDeployment.Status.ACTIVE
            deployment.save(update_fields=["issuer", "status"])
            activated.append(deployment)
    return Approval(registration=registration, activated=activated, waiting=waiting)


def lti_registration_disable(*, registration: LtiRegistration) -> None:
    """Disable a registration: no login or launch through it until it is approved again."""
    LtiRegistration.objects.filter(pk=registration.pk).update(status=LtiRegistration.Status.DISABLED)


def lti_deployment_approve(*, deployment: LtiDeployment, issuer: Issuer | None = None) -> LtiDeployment:
    """Activate a deployment (a tenant); its issuer must be chosen first.

    Raises:
        ApprovalRefused: the deployment has no issuer and none was given.
    """
    with transaction.atomic():
        deployment = LtiDeployment.objects.select_for_update().get(pk=deployment.pk)
        if issuer is not None and deployment.issuer_id is None:
            deployment.issuer = issuer
        if deployment.issuer_id is None:
            raise ApprovalRefused(f"Choose the Accolade issuer of deployment {deployment} before approving it: "
                                  "its badges are signed in that issuer's name.")
        deployment.status = LtiDeployment.Status.ACTIVE
        deployment.save(update_fields=["issuer", "status"])
    return deployment


def lti_deployment_disable(*, deployment: LtiDeployment) -> None:
    """Disable a deployment: its launches are refused; its badges and awards stay."""
    LtiDeployment.objects.filter(pk=deployment.pk).update(status=LtiDeployment.Status.DISABLED)
