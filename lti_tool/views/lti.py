"""LTI 1.3 launch endpoints: OIDC login, launch (with browser binding), the tool JWKS.

Binding the OIDC ``state`` to the browser that started the login (1EdTech Security Framework 1.0 §5.1.1.1)
works without any Django session:

* the state cookie, the only cookie, set at every login (``SameSite=None; Secure; HttpOnly; Partitioned``,
  so CHIPS keeps it working where a browser blocks ordinary third-party cookies);
* when the platform names an ``lti_storage_target`` (Canvas ``post_message_forwarding``, Sakai
  ``_parent``), the LTI client-side platform storage as well: the login page stores a proof with
  ``lti.put_data`` (https://www.imsglobal.org/spec/lti-pm-s/v0p1), and when the cookie is missing at launch
  a page reads it back with ``lti.get_data`` and posts it to us (lti-cs-oidc v0p1, "the tool must render
  something, then check"). The proof is an HMAC of the state, never sent to the platform's OIDC endpoint,
  so someone holding a leaked ``id_token`` and ``state`` cannot produce it; nothing of the launch (no
  launch token) reaches the browser before it is checked;
* neither available: a page that opens the login again in a new top-level window (first-party there).

After a launch, pages carry an opaque launch token instead of a session.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..conf import tool_settings
from ..lti import claims as c
from ..lti.launch import MAX_ID_TOKEN_BYTES, HardenedMessageLaunch, LaunchRejected
from ..lti.login import LoginRejected, launch_url, login_start, restart_url
from ..models import LtiLaunch, LtiOidcState, LtiRegistration
from ..services.errors import ServiceError
from ..services.lti_keys import lti_tool_jwks
from ..services.lti_launches import lti_launch_open

logger = logging.getLogger(__name__)
STATE_COOKIE = "lti-state-"
# Form field the storage check page posts back with what lti.get_data returned.
STORAGE_PROOF_FIELD = "lti_storage_proof"
# How long the pages wait for the platform to answer a storage message before offering a way out.
STORAGE_TIMEOUT_MS = 5000
_PROOF_SALT = "accolade.lti.platform-storage-proof"


def error_page(request: HttpRequest, message: str, status: int, code: str = "") -> HttpResponse:
    return render(request, "lti_tool/lti/error.html", {"message": message, "code": code}, status=status)


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Start a third-party initiated login (LTI Core 1.3 §4.1, Security Framework 1.0 §5.1.1.1).

    Issue state and nonce, bind the state to this browser (cookie, and the platform storage when the
    platform names ``lti_storage_target``: lti-cs-oidc v0p1), then send the browser to the platform.
    """
    params = (request.POST if request.method == "POST" else request.GET).dict()
    try:
        start = login_start(params)
    except LoginRejected as error:
        return error_page(request, str(error), error.status)
    origin = platform_origin(start.state.registration)
    if start.storage_target and origin:
        # lti-cs-oidc: answer with a page, not a redirect; it stores the proof in the platform's frame first.
        response = render(request, "lti_tool/lti/storage_login.html", {
            **_storage_context(start.state, origin), "value": storage_proof(start.state.state),
            "auth_url": start.auth_url})
    else:
        response = HttpResponseRedirect(start.auth_url)
    _set_state_cookie(response, start.state.state)
    return response


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """Validate the id_token, check the browser binding, record the launch and open the right page.

    Security Framework 1.0 §5.1.1.3: the state must come back from the browser that started the login,
    as the cookie or, with platform storage, as the proof read by ``lti.get_data`` (lti-cs-oidc v0p1).
    """
    state_value = request.POST.get("state", "")
    cookie_ok = bool(state_value) and request.COOKIES.get(STATE_COOKIE + state_value) == state_value
    proof = request.POST.get(STORAGE_PROOF_FIELD)
    if not cookie_ok and proof is None:
        pending = _storage_state(state_value)
        if pending is not None and len(request.POST.get("id_token", "")) <= MAX_ID_TOKEN_BYTES:
            # Check nothing yet and consume nothing: first ask the platform's storage for the proof.
            return _storage_check_page(request, pending)
    if not cookie_ok and proof is not None and not constant_time_compare(proof, storage_proof(state_value)):
        logger.info("LTI launch refused (storage_mismatch)")
        return error_page(request, "Your LMS returned a sign-in record that does not belong to this launch (an old "
                          "or forged one), so Accolade stopped here. Open the tool from your course again.", 401,
                          "storage_mismatch")
    try:
        validated = HardenedMessageLaunch(request).validated()
    except LaunchRejected as error:
        logger.info("LTI launch refused (%s): %s", error.code, error)
        return error_page(request, str(error), error.status, error.code)
    if not cookie_ok and proof is None:
        # No cookie and no platform storage: start again in a top-level window, where cookies are first-party.
        return render(request, "lti_tool/lti/cookies_blocked.html", {"restart_url": restart_url(validated.state)},
                      status=401)
    try:
        opened = lti_launch_open(validated=validated)
    except ServiceError as error:
        return error_page(request, str(error), 409)
    response = HttpResponseRedirect(_page_for(opened.launch, opened.token), status=303)
    if cookie_ok:
        _delete_state_cookie(response, state_value)
    return response


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    """Serve the tool's public keys (active and recently retired) for platforms verifying our JWTs."""
    response = JsonResponse(lti_tool_jwks())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def platform_origin(registration: LtiRegistration) -> str:
    """Return the origin of the platform's OIDC authorization URL, the only targetOrigin we post to.

    lti-cs-pm v0p1: messages go to the OIDC auth URL's origin, never ``*`` (the values bind a login).
    Return "" when the URL is not an http(s) URL; then platform storage is not used.
    """
    parts = urlsplit(registration.auth_login_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def storage_proof(state: str) -> str:
    """Return the value kept in platform storage for ``state``: an HMAC only this server can compute."""
    digest = salted_hmac(_PROOF_SALT, state, algorithm="sha256").digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _storage_context(state: LtiOidcState, origin: str) -> dict[str, object]:
    return {"state": state.state, "target": state.storage_target, "origin": origin, "timeout": STORAGE_TIMEOUT_MS,
            "restart_url": restart_url(state)}


def _storage_state(value: str) -> LtiOidcState | None:
    """Return the open state issued with a storage target, if ``value`` names one."""
    if not value or len(value) > 64:
        return None
    return (LtiOidcState.objects.select_related("registration__platform")
            .filter(state=value, used_at__isnull=True, expires_at__gt=timezone.now())
            .exclude(storage_target="").first())


def _storage_check_page(request: HttpRequest, state: LtiOidcState) -> HttpResponse:
    origin = platform_origin(state.registration)
    if not origin:
        return error_page(request, "the LMS's authorization URL is not a web address; ask its administrator", 400,
                          "bad_registration")
    return render(request, "lti_tool/lti/storage_launch.html", {
        **_storage_context(state, origin), "launch_url": launch_url(), "proof_field": STORAGE_PROOF_FIELD,
        "id_token": request.POST.get("id_token", "")})


def _set_state_cookie(response: HttpResponse, state: str) -> None:
    # Django 5.2 on Python 3.11 cannot write the Partitioned attribute (CHIPS), so this one cookie is
    # written by hand; it is the only cookie of the LTI exchange.
    response["Set-Cookie"] = (f"{STATE_COOKIE}{state}={state}; Path=/lti/; Max-Age={int(tool_settings.LTI_STATE_TTL)}; "
                              "Secure; HttpOnly; SameSite=None; Partitioned")


def _delete_state_cookie(response: HttpResponse, state: str) -> None:
    # The deletion must carry Partitioned too, or it addresses the unpartitioned cookie jar.
    response["Set-Cookie"] = (f"{STATE_COOKIE}{state}=; Path=/lti/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                              "Secure; HttpOnly; SameSite=None; Partitioned")


def _page_for(launch: LtiLaunch, token: str) -> str:
    page = "deep-link" if launch.message_type == c.DEEP_LINKING_REQUEST else "badge"
    return f"{tool_settings.public_url}/lti/{page}?{urlencode({'lt': token})}"
