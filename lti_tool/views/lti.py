"""LTI 1.3 launch endpoints: OIDC login, launch (with browser binding), the tool JWKS.

The only cookie is the OIDC state cookie, set at login (``SameSite=None; Secure; Partitioned``); when
it cannot be read we use the platform's postMessage storage (``lti_storage_target``) or offer to open
the tool in a new window. After a launch, pages carry an opaque launch token instead of a session.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..conf import tool_settings
from ..lti import claims as c
from ..lti.launch import HardenedMessageLaunch, LaunchRejected
from ..lti.login import LoginRejected, login_start, restart_url
from ..models import LtiLaunch
from ..services.errors import ServiceError
from ..services.lti_keys import lti_tool_jwks
from ..services.lti_launches import lti_launch_open

logger = logging.getLogger(__name__)
STATE_COOKIE = "lti-state-"


def error_page(request: HttpRequest, message: str, status: int, code: str = "") -> HttpResponse:
    return render(request, "lti_tool/lti/error.html", {"message": message, "code": code}, status=status)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Third-party initiated login: issue state and nonce, bind the state, go to the platform."""
    params = (request.POST if request.method == "POST" else request.GET).dict()
    try:
        start = login_start(params)
    except LoginRejected as error:
        return error_page(request, str(error), error.status)
    if start.storage_target:
        # LTI client-side platform storage: store the state in the platform's frame, then go on.
        platform_origin = "{0.scheme}://{0.netloc}".format(urlsplit(start.state.registration.auth_login_url))
        return render(request, "lti_tool/lti/storage_login.html", {
            "state": start.state.state, "nonce": start.state.nonce, "auth_url": start.auth_url,
            "storage_target": start.storage_target, "platform_origin": platform_origin})
    response = HttpResponseRedirect(start.auth_url)
    # Django 5.2 cannot write the Partitioned attribute (CHIPS), so this one cookie is written by hand.
    response["Set-Cookie"] = (f"{STATE_COOKIE}{start.state.state}={start.state.state}; Path=/lti/; "
                              f"Max-Age={int(tool_settings.LTI_STATE_TTL)}; Secure; HttpOnly; SameSite=None; "
                              "Partitioned")
    return response


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """Validate the id_token, bind it to this browser, record the launch and open the right page."""
    try:
        validated = HardenedMessageLaunch(request).validated()
    except LaunchRejected as error:
        logger.info("LTI launch refused (%s): %s", error.code, error)
        return error_page(request, str(error), error.status, error.code)
    state = validated.state
    cookie_ok = request.COOKIES.get(STATE_COOKIE + state.state) == state.state
    if not cookie_ok and not state.storage_target:
        # Third-party cookies are blocked and the platform offers no storage: start again on top.
        return render(request, "lti_tool/lti/cookies_blocked.html", {"restart_url": restart_url(state)}, status=401)
    try:
        opened = lti_launch_open(validated=validated)
    except ServiceError as error:
        return error_page(request, str(error), 409)
    next_url = _page_for(opened.launch, opened.token)
    if cookie_ok:
        response = HttpResponseRedirect(next_url, status=303)
        response.delete_cookie(STATE_COOKIE + state.state, path="/lti/", samesite="None")
        return response
    platform_origin = "{0.scheme}://{0.netloc}".format(urlsplit(validated.registration.auth_login_url))
    return render(request, "lti_tool/lti/storage_launch.html", {
        "state": state.state, "storage_target": state.storage_target, "platform_origin": platform_origin,
        "next_url": next_url})


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    """Serve the tool's public keys (active and recently retired) for platforms verifying our JWTs."""
    response = JsonResponse(lti_tool_jwks())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _page_for(launch: LtiLaunch, token: str) -> str:
    page = "deep-link" if launch.message_type == c.DEEP_LINKING_REQUEST else "badge"
    return f"{tool_settings.public_url}/lti/{page}?{urlencode({'lt': token})}"
