"""End to end over real HTTP: the running tool (pytest-django ``live_server``), ``requests`` as the browser.

The browser is a ``requests.Session``: it keeps the OIDC state cookie the login sets (``Secure;
SameSite=None; Partitioned``) and sends it back at launch, as a browser does on a loopback origin (which
browsers treat as secure). The platform is lti1p3platform (tests/lti_tool/lti/platforms.py), whose key
set is served over HTTP too. Pages opened inside the LMS must work with no cookie but the state cookie:
no Django session, no CSRF cookie.
"""

from __future__ import annotations

import re
from html import unescape
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests

from lti_tool.lti import claims as c
from lti_tool.models import Achievement, LtiLaunch

from .platforms import INSTRUCTOR, LEARNER, Platform, form_fields

pytestmark = pytest.mark.interop


class LoopbackBrowserCookies(DefaultCookiePolicy):
    """Send ``Secure`` cookies to loopback over plain HTTP, as browsers do for localhost (a secure context)."""

    def return_ok_secure(self, cookie, request):
        host = urlsplit(request.get_full_url()).hostname
        return host in ("localhost", "127.0.0.1") or super().return_ok_secure(cookie, request)


class BlockedCookies(DefaultCookiePolicy):
    """A browser that blocks the tool's cookies inside the LMS frame (third-party cookies off)."""

    def set_ok(self, cookie, request):
        return False


class Browser(requests.Session):
    """A session whose cookie policy also decides what is sent.

    requests copies the session's cookies into a fresh jar with the default policy for every request,
    so a policy set on ``session.cookies`` would only govern what is stored; here it governs both.
    """

    def __init__(self, policy: DefaultCookiePolicy) -> None:
        super().__init__()
        self.cookies.set_policy(policy)

    def prepare_request(self, request):
        prepared = super().prepare_request(request)
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(self.cookies)
        return prepared


@pytest.fixture
def site(live_server, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "PUBLIC_URL": live_server.url}
    return live_server.url


@pytest.fixture
def browser():
    session = Browser(LoopbackBrowserCookies())
    yield session
    session.close()


def login(browser: requests.Session, site: str, platform: Platform, *, sub: str, target: str | None = None):
    """The platform's login initiation in the browser; return the authorization request it is sent to."""
    response = browser.post(f"{site}/lti/login", data={
        "iss": platform.issuer, "login_hint": sub, "target_link_uri": target or f"{site}/lti/launch",
        "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id}, allow_redirects=False,
        timeout=10)
    assert response.status_code == 302, response.text[:600]
    assert response.headers["Location"].startswith(platform.auth_url + "?")
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def launch(browser: requests.Session, site: str, platform: Platform, *, sub: str, roles: list[str],
           target: str | None = None, **claim_options):
    """Login → the platform signs an id_token for the authorization request → form post to our redirect URI."""
    target = target or f"{site}/lti/launch"
    authorization = login(browser, site, platform, sub=sub, target=target)
    assert authorization["redirect_uri"] == f"{site}/lti/launch"
    claims = platform.claims(authorization, sub=sub, roles=roles, target=target, **claim_options)
    return browser.post(authorization["redirect_uri"], data={"id_token": platform.sign(claims),
                                                             "state": authorization["state"]}, timeout=10)


def assert_only_the_state_cookie_was_used(browser: requests.Session) -> None:
    names = {cookie.name for cookie in browser.cookies}
    assert "sessionid" not in names and "csrftoken" not in names
    assert not names, f"cookies left behind: {names}"  # the state cookie is deleted once used


def test_login_launch_and_landing_over_http(site, browser, deployment, platform):
    authorization = login(browser, site, platform, sub="http-learner")
    [state_cookie] = list(browser.cookies)
    assert state_cookie.name == f"lti-state-{authorization['state']}" and state_cookie.secure
    assert state_cookie.path == "/lti/" and state_cookie.has_nonstandard_attr("Partitioned")
    assert state_cookie.get_nonstandard_attr("SameSite") == "None"
    claims = platform.claims(authorization, sub="http-learner", roles=[LEARNER], target=f"{site}/lti/launch")
    landing = browser.post(f"{site}/lti/launch", data={"id_token": platform.sign(claims),
                                                       "state": authorization["state"]}, timeout=10)
    assert [r.status_code for r in landing.history] == [303], (landing.status_code, landing.text[-1500:])
    assert landing.status_code == 200 and landing.url.startswith(f"{site}/lti/badge?lt=")
    assert "No badge here yet" in landing.text
    assert LtiLaunch.objects.get().user.sub == "http-learner"
    assert_only_the_state_cookie_was_used(browser)
    # The launch is spent: posting it again is a replay.
    again = browser.post(f"{site}/lti/launch", data={"id_token": platform.sign(claims),
                                                     "state": authorization["state"]}, timeout=10)
    assert again.status_code == 401 and "replay" in again.text


def test_blocked_cookies_fall_back_to_a_new_window(site, deployment, platform):
    framed = Browser(BlockedCookies())
    response = launch(framed, site, platform, sub="blocked", roles=[LEARNER])
    assert response.status_code == 401 and "Open Accolade in a new window" in response.text
    [restart] = {unescape(href) for href in re.findall(r'href="([^"]*/lti/login\?[^"]*)"', response.text)}
    assert restart.startswith(f"{site}/lti/login?")
    # In its own window the cookie is first-party: the same login goes through.
    window = Browser(LoopbackBrowserCookies())
    restarted = window.get(restart, allow_redirects=False, timeout=10)
    assert restarted.status_code == 302
    authorization = dict(parse_qsl(urlsplit(restarted.headers["Location"]).query))
    claims = platform.claims(authorization, sub="blocked", roles=[LEARNER], target=f"{site}/lti/launch")
    landing = window.post(f"{site}/lti/launch", data={"id_token": platform.sign(claims),
                                                      "state": authorization["state"]}, timeout=10)
    assert landing.status_code == 200 and landing.url.startswith(f"{site}/lti/badge?lt=")
    framed.close()
    window.close()


def test_deep_linking_round_trip_over_http(site, browser, deployment, platform):
    # 1. The instructor's Deep Linking launch opens the picker.
    picker = launch(browser, site, platform, sub="http-teacher", roles=[INSTRUCTOR],
                    message_type="LtiDeepLinkingRequest", resource_link=None)
    assert picker.status_code == 200 and picker.url.startswith(f"{site}/lti/deep-link?lt=")
    # 2. Create a badge with the picker's own form (multipart, as the browser sends it, no image chosen).
    action, fields = create_form(picker.text)
    fields.update(name="HTTP Pioneer", description="Crossed the wire.", criteria="Launch over real HTTP.")
    answer = browser.post(requests.compat.urljoin(picker.url, action), data=fields,
                          files={"image": ("", b"", "application/octet-stream")}, timeout=10)
    assert answer.status_code == 200, answer.text[:800]
    return_url, returned = form_fields(answer.text, "dl-return")
    assert return_url == f"{platform.issuer}/dl-return"
    badge = Achievement.objects.get(name="HTTP Pioneer")
    # 3. The platform checks the response JWT against our JWKS, fetched over HTTP, two independent ways.
    items = platform.validate_deep_linking_response(returned["JWT"], tool_jwks_url=f"{site}/lti/jwks",
                                                    accepted_types=["ltiResourceLink"])
    [item] = items
    assert item["type"] == "ltiResourceLink" and item["url"] == f"{site}/lti/launch"
    assert item["custom"] == {"accolade_badge": str(badge.uuid)}
    signing_key = jwt.PyJWKClient(f"{site}/lti/jwks").get_signing_key_from_jwt(returned["JWT"])
    message = jwt.decode(returned["JWT"], signing_key.key, algorithms=["RS256"], audience=platform.issuer)
    assert message["iss"] == platform.client_id and message[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert message[c.DEPLOYMENT_ID] == platform.deployment_id and message[c.DL_DATA] == "opaque-42"
    assert message["nonce"]
    # 4. A learner launching the placed link lands on that badge.
    learner = Browser(LoopbackBrowserCookies())
    landing = launch(learner, site, platform, sub="http-learner", roles=[LEARNER], target=item["url"],
                     custom=item["custom"], resource_link="placed-link-1")
    assert landing.status_code == 200 and landing.url.startswith(f"{site}/lti/badge?lt=")
    assert "HTTP Pioneer" in landing.text and "Not earned yet" in landing.text
    assert LtiLaunch.objects.get(user__sub="http-learner").resource_link.achievement == badge
    assert_only_the_state_cookie_was_used(browser)
    assert_only_the_state_cookie_was_used(learner)
    learner.close()


def create_form(html: str) -> tuple[str, dict[str, str]]:
    """Return (action, hidden fields) of the picker's "create a badge" form."""
    start = html.index('name="action" value="create"')
    form_start = html.rindex("<form", 0, start)
    form_html = html[form_start:html.index("</form>", start) + len("</form>")]
    action = form_html.split('action="', 1)[1].split('"', 1)[0] if 'action="' in form_html else ""
    fields = dict(_hidden_inputs(form_html))
    assert fields.get("action") == "create" and fields.get("lt")
    return action, fields


def _hidden_inputs(form_html: str):
    for chunk in form_html.split("<input")[1:]:
        if 'type="hidden"' in chunk:
            name = chunk.split('name="', 1)[1].split('"', 1)[0]
            value = chunk.split('value="', 1)[1].split('"', 1)[0] if 'value="' in chunk else ""
            yield name, value
