"""The reference: a bare pylti1p3 2.0.0 tool, as its README and Django example app write one.

Stock library, no hardening: ``DjangoOIDCLogin`` and ``DjangoMessageLaunch`` with a ``ToolConfDict``,
their default services (nonce and launch data in the Django session, database-backed as in our settings;
the state in a cookie). ``/ref/launch`` caches the platform key set in the Django cache (pylti1p3's
``set_public_key_caching``, local memory per process); ``/ref/launch-uncached`` is the library's default,
which fetches the key set on every launch. After the launch, a 303 to a small page that restores the
launch from the session (``from_cache``) and renders who and where, like our badge page does.
"""

from __future__ import annotations

import json
import os
from functools import cache
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.tool_config import ToolConfDict

PAGE = engines["django"].from_string(
    "<!doctype html><html><head><title>pylti1p3 reference launch</title></head><body>"
    "<h1>pylti1p3 reference launch</h1><p>{{ name }} in {{ course }}: {{ link }}</p></body></html>")


@cache
def tool_conf() -> ToolConfDict:
    """Return the reference's configuration: one issuer, one client, from ``ACCOLADE_BENCH_REFERENCE``."""
    conf = json.loads(os.environ["ACCOLADE_BENCH_REFERENCE"])
    return ToolConfDict({conf["issuer"]: [{
        "default": True, "client_id": conf["client_id"], "auth_login_url": conf["auth_login_url"],
        "auth_token_url": conf["auth_token_url"], "key_set_url": conf["key_set_url"], "key_set": None,
        "deployment_ids": conf["deployment_ids"]}]})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC login initiation: pylti1p3 stores the nonce in the session and the state in a cookie."""
    target = request.POST.get("target_link_uri") or request.GET.get("target_link_uri", "")
    try:
        return DjangoOIDCLogin(request, tool_conf()).redirect(target)
    except OIDCException as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")


@csrf_exempt
@require_POST
def launch(request: HttpRequest, *, cache_key_set: bool) -> HttpResponse:
    """Validate the launch with pylti1p3's own rules and go to the page (303)."""
    message_launch = DjangoMessageLaunch(request, tool_conf())
    if cache_key_set:
        message_launch.set_public_key_caching(DjangoCacheDataStorage(cache_name="default"), cache_lifetime=7200)
    try:
        message_launch.get_launch_data()
    except LtiException as error:
        return HttpResponse(str(error), status=401, content_type="text/plain")
    query = urlencode({"launch_id": message_launch.get_launch_id()})
    return HttpResponseRedirect(f"{reverse('ref-page')}?{query}", status=303)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    """Restore the launch from the session and show the learner, course and link."""
    try:
        message_launch = DjangoMessageLaunch.from_cache(request.GET.get("launch_id", ""), request, tool_conf())
        data = message_launch.get_launch_data()
    except LtiException as error:
        return HttpResponse(str(error), status=401, content_type="text/plain")
    return HttpResponse(PAGE.render({
        "name": data.get("name", ""),
        "course": data.get("https://purl.imsglobal.org/spec/lti/claim/context", {}).get("title", ""),
        "link": data.get("https://purl.imsglobal.org/spec/lti/claim/resource_link", {}).get("title", "")}))
