"""LTI Dynamic Registration page (LTI DR 1.0 §3) and the tool logo platforms show.

The LMS opens ``/lti/register?openid_configuration=…&registration_token=…`` in an iframe, a popup or
a new tab, after the administrator pasted our registration URL (which carries ``?code=…``). With the
code (``LTI_REGISTRATION_CODE``) the GET registers at once: only someone given the code can make
that request. A logged-in staff user of Accolade without the code first gets a confirmation form
that POSTs (CSRF-protected), because a session cookie also rides along on a link an attacker sends.
The registration itself is :func:`lti_tool.lti.registration.lti_registration_create_dynamic`.
Whatever happens, the page offers to close the LMS dialog with ``{subject: "org.imsglobal.lti.close"}``
(LTI DR 1.0 §3.6).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe

from ..lti.registration import (
    RegistrationRefused,
    lti_registration_create_dynamic,
    registration_code_accepts,
    without_query,
)

logger = logging.getLogger(__name__)
ERROR_TEMPLATE = "lti_tool/lti/registration_error.html"

LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="Accolade">
<path d="M22 38 14 60l10-4 6 8 6-18zM42 38l8 22-10-4-6 8-6-18z" fill="#c0392b"/>
<circle cx="32" cy="26" r="22" fill="#2c4f9e"/><circle cx="32" cy="26" r="16" fill="#f4c542"/>
<path d="M32 15l3.2 6.6 7.3 1-5.3 5.1 1.3 7.2L32 31.5l-6.5 3.4 1.3-7.2-5.3-5.1 7.3-1z" fill="#2c4f9e"/>
</svg>
"""


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register Accolade with the platform that opened this page; store it pending approval."""
    params = request.POST if request.method == "POST" else request.GET
    staff = request.user.is_authenticated and request.user.is_active and request.user.is_staff
    with_code = registration_code_accepts(params.get("code", ""))
    if not staff and not with_code:
        return render(request, ERROR_TEMPLATE, {
            "title": "Registration needs Accolade's registration code",
            "message": "This registration URL needs the code an Accolade administrator gave you (…/lti/register"
                       "?code=…), or you must be logged in to Accolade as staff. Ask the Accolade administrator "
                       "for the full registration URL and paste it into the LMS again.",
            "code": "forbidden"}, status=403)
    configuration_url = params.get("openid_configuration", "").strip()
    token = params.get("registration_token", "").strip()
    if not configuration_url or not token:
        missing = [name for name, value in (("openid_configuration", configuration_url),
                                            ("registration_token", token)) if not value]
        return render(request, ERROR_TEMPLATE, {
            "title": "This is Accolade's Dynamic Registration URL",
            "message": f"The request lacks {' and '.join(missing)}. Paste this URL into your LMS's tool "
                       "registration (Moodle: Manage tools → Tool URL → Add LTI Advantage; Canvas: Developer Keys "
                       "→ + Developer Key → + LTI Registration; Brightspace: Manage Extensibility → LTI Advantage → "
                       "Register Tool → Dynamic); the LMS opens it with both parameters.",
            "code": "bad_request"}, status=400)
    if request.method == "GET" and not with_code:
        return render(request, "lti_tool/lti/registration_confirm.html", {
            "configuration_url": configuration_url, "token": token,
            "platform_host": without_query(configuration_url)})
    try:
        result = lti_registration_create_dynamic(openid_configuration_url=configuration_url,
                                                 registration_token=token)
    except RegistrationRefused as error:
        logger.info("LTI Dynamic Registration refused (%s): %s", error.code, error)
        return render(request, ERROR_TEMPLATE, {"title": "Accolade could not register with this LMS",
                                                "message": str(error), "details": error.details,
                                                "code": error.code}, status=error.status)
    return render(request, "lti_tool/lti/registration_done.html", {"result": result})


@require_safe
@cache_control(public=True, max_age=86400)
def tool_logo(request: HttpRequest) -> HttpResponse:
    """Serve the tool's logo (``logo_uri`` of the registration, icons of its placements)."""
    response = HttpResponse(LOGO_SVG, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Access-Control-Allow-Origin"] = "*"
    return response
