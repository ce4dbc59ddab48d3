"""LTI Dynamic Registration 1.0 against an LMS emulation over HTTP (dr_platform), then approval and launch.

Round trips for the Moodle, Canvas and Brightspace modes; the access rule of the page; hostile and broken
platforms (configuration, answers, timeouts); re-registration; the admin and the commands; and the real
Moodle configuration replayed through the validator.
"""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lti_tool.lti import registration as reg
from lti_tool.models import LtiDeployment, LtiPlatform, LtiRegistration
from tests.fixtures import MOODLE_FIXTURES

from .dr_platform import AGS, DELETE, NRPS, PLATFORM_CONFIGURATION, TOOL_CONFIGURATION, DrPlatform
from .platforms import Platform

CODE = "registration-code-0123456789"
REGISTER = f"/lti/register?code={CODE}"
FIXTURES = MOODLE_FIXTURES / "lti" / "dynamic_registration"
ALL_SCOPES = [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS + "score", NRPS]


@pytest.fixture(autouse=True)
def registration_code(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "LTI_REGISTRATION_CODE": CODE}


@pytest.fixture
def make_lms(db):
    made = []

    def make(mode: str = "moodle") -> DrPlatform:
        made.append(DrPlatform(mode))
        return made[-1]

    yield make
    for lms in made:
        lms.close()


@pytest.fixture
def moodle(make_lms):
    return make_lms("moodle")


@pytest.fixture
def https_tool(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "PUBLIC_URL": "https://accolade.example.edu"}
    return "https://accolade.example.edu/lti/launch"


def nothing_stored() -> bool:
    return not (LtiPlatform.objects.exists() or LtiRegistration.objects.exists() or LtiDeployment.objects.exists())


def launch_platform(lms: DrPlatform, registration: LtiRegistration, deployment_id: str) -> Platform:
    """The LMS's launch side (lti1p3platform), publishing its key where the configuration's jwks_uri points."""
    return Platform(issuer=lms.issuer, client_id=registration.client_id, deployment_id=deployment_id,
                    jwks_server=lms, family=lms.mode)


# --- Round trips ------------------------------------------------------------------------------------------

def test_moodle_round_trip_is_pending_until_approved_then_launches(client, moodle, issuer):
    token = moodle.issue_token()
    page = client.get(moodle.start(REGISTER, token=token))
    assert page.status_code == 200, page.content.decode()[:2000]
    html = page.content.decode()
    assert 'postMessage({subject: "org.imsglobal.lti.close"}, "*")' in html
    assert "window.opener || (window.parent !== window ? window.parent : null)" in html
    assert "Nobody can launch Accolade from this LMS yet" in html
    assert "X-Frame-Options" not in page.headers and "no-store" in page["Cache-Control"]

    get, post = moodle.requests[0], moodle.requests[1]
    assert get["method"] == "GET" and get["headers"]["authorization"] == f"Bearer {token}"
    assert post["headers"]["authorization"] == f"Bearer {token}"
    assert post["headers"]["content-type"] == "application/json"
    sent = json.loads(post["body"])
    assert sent["scope"].split() == ALL_SCOPES
    assert sent["grant_types"] == ["client_credentials", "implicit"] and sent["response_types"] == ["id_token"]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks" and sent["client_name"] == "Accolade"
    tool = sent[TOOL_CONFIGURATION]
    assert tool["domain"] == "testserver" and tool["target_link_uri"] == "http://testserver/lti/launch"
    assert tool["claims"] == ["iss", "sub", "name", "given_name", "family_name", "email"]
    messages = {m["type"]: m for m in tool["messages"]}
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["ContentArea"]  # what Moodle advertises
    assert "placements" not in messages["LtiResourceLinkRequest"]
    assert "https://canvas.instructure.com/lti/privacy_level" not in tool

    registration = LtiRegistration.objects.select_related("platform").get()
    answer = moodle.answers[0]
    assert registration.client_id == answer["client_id"] == _jwt_sub(token)  # Moodle: the token's sub
    assert registration.status == "pending" and registration.registered_via == "dynamic"
    assert registration.platform.issuer == moodle.issuer and registration.platform.family == "moodle"
    assert registration.auth_login_url == f"{moodle.issuer}/mod/lti/auth.php"
    assert registration.auth_token_url == f"{moodle.issuer}/mod/lti/token.php"
    assert registration.key_set_url == f"{moodle.issuer}/mod/lti/certs.php" and registration.auth_audience == ""
    assert registration.scopes == ALL_SCOPES
    assert registration.openid_configuration == moodle.configuration()
    deployment = LtiDeployment.objects.get()
    assert deployment.deployment_id == answer[TOOL_CONFIGURATION]["deployment_id"] == "3"
    assert deployment.status == "pending" and deployment.registration == registration

    lms_launch = launch_platform(moodle, registration, "3")
    refused = lms_launch.launch(client)
    assert refused.response.status_code == 403
    assert b"waiting for an administrator" in refused.response.content

    out = StringIO()
    call_command("lti_registration_approve", str(registration.uuid), "--issuer", str(issuer.uuid), stdout=out)
    assert "Deployment 3 is active" in out.getvalue()
    accepted = lms_launch.launch(client)
    assert accepted.login["Location"].startswith(f"{moodle.issuer}/mod/lti/auth.php?")  # the stored endpoint
    assert accepted.response.status_code == 303, accepted.response.content.decode()[:800]
    assert "/lti/badge?lt=" in accepted.response["Location"]


def test_canvas_round_trip_then_deployment_parked_and_approved_in_the_admin(client, admin_client, make_lms, issuer):
    canvas = make_lms("canvas")
    token = canvas.issue_token()
    page = client.get(canvas.start(REGISTER, token=token))
    assert page.status_code == 200, page.content.decode()[:2000]
    get = canvas.requests[0]
    assert get["path"].endswith(f"?registration_token={token}")  # Canvas puts the token in the URL too
    assert get["headers"]["authorization"] == f"Bearer {token}"  # and requires it as bearer
    sent = json.loads(canvas.posted()[0]["body"])
    tool = sent[TOOL_CONFIGURATION]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    messages = {m["type"]: m for m in tool["messages"]}
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["assignment_selection", "link_selection"]
    assert "placements" not in messages["LtiResourceLinkRequest"]

    registration = LtiRegistration.objects.select_related("platform").get()
    assert registration.client_id == "10000000000001" and registration.status == "pending"
    assert registration.platform.family == "canvas"
    assert registration.auth_audience == ""  # Canvas's bare-host authorization_server is not an audience
    assert registration.auth_token_url == f"{canvas.issuer}/login/oauth2/token"
    assert not LtiDeployment.objects.exists()  # Canvas makes deployments when the app is installed
    assert "arrives with the first launch" in page.content.decode()

    changelist = "/admin/lti_tool/ltiregistration/"
    confirm = admin_client.post(changelist, {"action": "approve", "_selected_action": [registration.pk], "index": 0})
    assert confirm.status_code == 200 and b"Approve LTI registrations" in confirm.content
    done = admin_client.post(changelist, {"action": "approve", "_selected_action": [registration.pk], "apply": "1",
                                          "issuer": issuer.pk}, follow=True)
    assert b"is active" in done.content
    registration.refresh_from_db()
    assert registration.status == "active"

    lms_launch = launch_platform(canvas, registration, "5:d3a2c81f0e")
    parked = lms_launch.launch(client)
    assert parked.response.status_code == 403 and b"waiting for an administrator" in parked.response.content
    deployment = LtiDeployment.objects.get(deployment_id="5:d3a2c81f0e")
    assert deployment.status == "pending"

    deployments = "/admin/lti_tool/ltideployment/"
    refused = admin_client.post(deployments, {"action": "approve", "_selected_action": [deployment.pk], "index": 0},
                                follow=True)
    assert b"Choose the Accolade issuer" in refused.content
    deployment.refresh_from_db()
    assert deployment.status == "pending"
    form_error = admin_client.post(f"{deployments}{deployment.pk}/change/", {"name": "", "issuer": "",
                                                                              "status": "active"})
    assert form_error.status_code == 200 and b"Choose the Accolade issuer" in form_error.content
    saved = admin_client.post(f"{deployments}{deployment.pk}/change/", {"name": "Canvas course tools",
                                                                         "issuer": issuer.pk, "status": "pending"})
    assert saved.status_code == 302
    admin_client.post(deployments, {"action": "approve", "_selected_action": [deployment.pk], "index": 0})
    deployment.refresh_from_db()
    assert deployment.status == "active" and deployment.issuer == issuer
    accepted = lms_launch.launch(client)
    assert accepted.response.status_code == 303, accepted.response.content.decode()[:800]


def test_brightspace_round_trip_with_guid_deployment_and_oauth_audience(client, make_lms, issuer, https_tool):
    brightspace = make_lms("brightspace")
    page = client.get(brightspace.start(REGISTER))
    assert page.status_code == 200, page.content.decode()[:2000]
    registration = LtiRegistration.objects.select_related("platform").get()
    assert registration.platform.family == "brightspace"
    assert registration.auth_token_url == "https://auth.brightspace.com/core/connect/token"
    assert registration.auth_audience == "https://api.brightspace.com/auth/token"
    deployment = LtiDeployment.objects.get()
    assert deployment.deployment_id == brightspace.answers[0][TOOL_CONFIGURATION]["deployment_id"]
    assert len(deployment.deployment_id) == 36 and deployment.status == "pending"
    sent = json.loads(brightspace.posted()[0]["body"])
    assert all("placements" not in m for m in sent[TOOL_CONFIGURATION]["messages"])  # none advertised

    call_command("lti_registration_approve", registration.client_id, "--issuer", issuer.name, stdout=StringIO())
    result = launch_platform(brightspace, registration, deployment.deployment_id).launch(client, target=https_tool)
    assert result.response.status_code == 303, result.response.content.decode()[:800]


def test_brightspace_refuses_a_second_registration_of_the_same_domain(client, make_lms, https_tool):
    brightspace = make_lms("brightspace")
    assert client.get(brightspace.start(REGISTER)).status_code == 200
    again = client.get(brightspace.start(REGISTER))
    assert again.status_code == 502
    assert b"refused Accolade&#x27;s registration (HTTP 400)" in again.content
    assert b"invalid_client_metadata: Domain accolade.example.edu is already used" in again.content
    assert LtiRegistration.objects.count() == 1


def test_brightspace_tokens_are_single_use(client, make_lms, https_tool):
    brightspace = make_lms("brightspace")
    token = brightspace.issue_token()
    assert client.get(brightspace.start(REGISTER, token=token)).status_code == 200
    again = client.get(brightspace.start(REGISTER, token=token))
    assert again.status_code == 502 and b"refused the registration token (HTTP 401)" in again.content
    assert b"invalid_token" in again.content


def test_brightspace_refuses_a_tool_on_plain_http(client, make_lms):
    page = client.get(make_lms("brightspace").start(REGISTER))
    assert page.status_code == 502
    assert b"initiate_login_uri must use https" in page.content
    assert nothing_stored()


def test_a_logged_in_staff_user_needs_no_code_but_confirms_with_a_post(client, admin_client, moodle):
    token = moodle.issue_token()
    params = {"openid_configuration": moodle.configuration_url(token), "registration_token": token}
    confirm = admin_client.get(moodle.start("/lti/register", token=token))
    assert confirm.status_code == 200 and b"Register Accolade with this LMS?" in confirm.content
    assert b"csrfmiddlewaretoken" in confirm.content
    assert moodle.requests == [] and nothing_stored()  # a link alone never registers through a session
    assert client.post("/lti/register", params).status_code == 403  # no session, no code
    page = admin_client.post("/lti/register", params)
    assert page.status_code == 200 and b"Accolade is registered with" in page.content
    assert LtiRegistration.objects.get().status == "pending"


def test_a_head_request_registers_nothing(client, moodle):
    assert client.head(moodle.start(REGISTER)).status_code == 405
    assert moodle.requests == [] and nothing_stored()


# --- Access and parameters --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/lti/register", "/lti/register?code=wrong-code-0123456789",
                                  f"/lti/register?code={CODE}x", f"/lti/register?code={CODE[:-1]}"])
def test_without_the_code_the_page_is_forbidden(client, moodle, path):
    page = client.get(moodle.start(path))
    assert page.status_code == 403
    assert b"needs the code an Accolade administrator gave you" in page.content
    assert moodle.requests == [] and nothing_stored()


def test_a_short_configured_code_opens_nothing(client, moodle, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "LTI_REGISTRATION_CODE": "short"}
    page = client.get(moodle.start("/lti/register?code=short"))
    assert page.status_code == 403 and moodle.requests == []


@pytest.mark.parametrize(("params", "missing"), [
    ({"openid_configuration": "https://lms.example.edu/openid"}, b"registration_token"),
    ({"registration_token": "abc"}, b"openid_configuration"),
    ({}, b"openid_configuration and registration_token"),
])
def test_missing_parameters_get_400(client, params, missing, db):
    page = client.get("/lti/register", {"code": CODE, **params})
    assert page.status_code == 400 and b"The request lacks " + missing in page.content


@pytest.mark.parametrize("token", ['abc"def', "a b", "x" * 9000, "tok\u00e9n"])
def test_a_token_that_is_not_a_bearer_token_is_refused(client, moodle, token):
    page = client.get("/lti/register", {"code": CODE, "openid_configuration": moodle.configuration_url(""),
                                        "registration_token": token})
    assert page.status_code == 400 and b"not a bearer token" in page.content
    assert moodle.requests == []


# --- The platform's configuration, untrusted ---------------------------------------------------------------

def test_a_configuration_url_outside_the_issuer_is_refused(client, moodle):
    moodle.configuration_changes = {"issuer": "https://moodle.example.edu"}
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 400 and b"must lie under the issuer" in page.content
    assert b"issuer_mismatch" in page.content
    assert moodle.posted() == [] and nothing_stored()


@pytest.mark.parametrize(("issuer", "url", "matches"), [
    ("https://lms.edu", "https://lms.edu/.well-known/openid-configuration", True),
    ("https://lms.edu/", "https://lms.edu/mod/lti/openid-configuration.php", True),
    ("https://lms.edu/moodle", "https://lms.edu/moodle/mod/lti/openid-configuration.php", True),
    ("https://lms.edu", "https://lms.edu:443/api/lti/security/openid-configuration?registration_token=x", True),
    ("https://lms.edu", "https://lms.edu.evil.example/openid", False),
    ("https://lms.edu/moodle", "https://lms.edu/moodle2/mod/lti/openid-configuration.php", False),
    ("https://lms.edu", "http://lms.edu/openid", False),
    ("https://lms.edu", "https://lms.edu:8443/openid", False),
    ("https://lms.edu", "https://evil.example/https://lms.edu/openid", False),
])
def test_issuer_and_configuration_url_match(issuer, url, matches):
    assert reg.issuer_matches(issuer, url) is matches


def test_plain_http_on_loopback_is_refused_in_production(client, moodle, settings):
    settings.PRODUCTION = True
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and b"accepted only outside production" in page.content
    assert moodle.requests == [] and nothing_stored()


def test_plain_http_on_loopback_can_be_switched_off(client, moodle, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "LTI_REGISTRATION_HTTP_LOOPBACK": False}
    assert client.get(moodle.start(REGISTER)).status_code == 502
    assert moodle.requests == []


def test_plain_http_elsewhere_is_always_refused(client, db):
    page = client.get("/lti/register", {"code": CODE, "registration_token": "abc",
                                        "openid_configuration": "http://lms.example.edu/mod/lti/openid-configuration.php"})
    assert page.status_code == 502 and b"uses plain HTTP; Accolade registers only with platforms served over HTTPS" \
        in page.content


@pytest.mark.parametrize("mode", ["moodle", "canvas"])
def test_a_private_address_is_refused_when_private_platforms_are_not_allowed(client, make_lms, settings, mode,
                                                                             caplog):
    settings.ACCOLADE = {**settings.ACCOLADE, "LTI_REGISTRATION_ALLOW_PRIVATE": False}
    caplog.set_level(logging.INFO)
    lms = make_lms(mode)
    token = lms.issue_token()
    page = client.get(lms.start(REGISTER, token=token))
    assert page.status_code == 502 and b"non-public address" in page.content
    assert lms.requests == [] and nothing_stored()
    assert token not in page.content.decode() and token not in caplog.text  # Canvas: the token is in the URL


def test_production_registers_only_with_public_addresses_by_default(client, moodle, settings):
    """The URLs come from whoever holds the registration code: no SSRF into the campus network."""
    settings.PRODUCTION = True
    settings.ACCOLADE = {**{k: v for k, v in settings.ACCOLADE.items() if k != "LTI_REGISTRATION_ALLOW_PRIVATE"},
                         "LTI_REGISTRATION_HTTP_LOOPBACK": True, "LTI_PLATFORM_ALLOW_PRIVATE": True}
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and b"non-public address" in page.content
    assert moodle.requests == [] and nothing_stored()


@pytest.mark.parametrize(("changes", "message"), [
    ({"authorization_endpoint": DELETE}, b"authorization_endpoint is missing"),
    ({"token_endpoint": DELETE}, b"token_endpoint is missing"),
    ({"jwks_uri": DELETE}, b"jwks_uri is missing"),
    ({"registration_endpoint": DELETE}, b"registration_endpoint is missing"),
    ({"issuer": DELETE}, b"issuer is missing"),
    ({PLATFORM_CONFIGURATION: DELETE}, b"lacks the https://purl.imsglobal.org/spec/lti-platform-configuration"),
    ({PLATFORM_CONFIGURATION: "moodle"}, b"lacks the https://purl.imsglobal.org/spec/lti-platform-configuration"),
    ({PLATFORM_CONFIGURATION: {"messages_supported": []}}, b"has no product_family_code"),
    ({"jwks_uri": "javascript:alert(1)"}, b"must be an https:// URL"),
    ({"jwks_uri": "https://user:secret@lms.example.edu/jwks"}, b"must not carry user information"),
    ({"registration_endpoint": "https://lms.example.edu/register#x"}, b"must not carry user information, a fragment"),
    ({"token_endpoint": "http://lms.example.edu/token"}, b"uses plain HTTP"),
    ({"authorization_endpoint": "https://lms.example.edu/" + "a" * 600}, b"longer than 500 characters"),
    ({"authorization_endpoint": "https://lms.example.edu/a b"}, b"spaces or control characters"),
    ({"jwks_uri": ["https://lms.example.edu/jwks"]}, b"jwks_uri is not a URL string"),
    ({"id_token_signing_alg_values_supported": ["HS256"]}, b"does not support RS256-signed id_tokens"),
    ({"token_endpoint_auth_methods_supported": ["client_secret_basic"]}, b"private_key_jwt"),
    ({"claims_supported": ["sub", "bad\u0000claim"]}, b"NUL character"),
])
def test_a_broken_configuration_is_refused_before_registering(client, moodle, changes, message):
    moodle.configuration_changes = changes
    page = client.get(moodle.start(REGISTER))
    assert page.status_code in (400, 502)
    assert message in page.content, page.content.decode()[:3000]
    assert moodle.posted() == [] and nothing_stored()


@pytest.mark.parametrize(("raw", "message"), [
    ((200, "text/html", b"<html><body>Log in to the site</body></html>"), b"not a JSON object (it sent text/html)"),
    ((200, "application/json", b"[1, 2]"), b"not a JSON object"),
    ((200, "application/json", b'{"a": ' * 5000 + b"1" + b"}" * 5000), b"not a JSON object"),
    ((200, "application/json", b'{"pad": "' + b"x" * 300_000 + b'"}'), b"larger than 256 KiB"),
    ((404, "text/plain", b"not found"), b"answered HTTP 404"),
    ((302, "text/plain", b""), b"a redirect, which Accolade does not follow"),
    ((500, "text/html", b"<html>Fatal error</html>"), b"answered HTTP 500"),
])
def test_an_unusable_configuration_answer_is_refused(client, moodle, raw, message):
    moodle.configuration_raw = raw
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and message in page.content
    assert moodle.posted() == [] and nothing_stored()


def test_canvas_refuses_the_configuration_without_its_token(client, make_lms):
    canvas = make_lms("canvas")
    page = client.get(canvas.start(REGISTER, token="forged-token"))
    assert page.status_code == 502 and b"refused the registration token when Accolade read its configuration" \
        in page.content
    assert b"Invalid or missing registration token" in page.content
    assert canvas.posted() == [] and nothing_stored()


def test_only_supported_scopes_and_messages_are_requested(client, moodle):
    moodle.configuration_changes = {
        "scopes_supported": [AGS + "score", AGS + "lineitem", "openid"],
        PLATFORM_CONFIGURATION: {"product_family_code": "moodle", "messages_supported": ["LtiResourceLinkRequest"]}}
    assert client.get(moodle.start(REGISTER)).status_code == 200
    sent = json.loads(moodle.posted()[0]["body"])
    assert sent["scope"] == f"{AGS}lineitem {AGS}score"
    assert [m["type"] for m in sent[TOOL_CONFIGURATION]["messages"]] == ["LtiResourceLinkRequest"]
    assert LtiRegistration.objects.get().scopes == [AGS + "lineitem", AGS + "score"]


# --- The platform's answer ----------------------------------------------------------------------------------

def test_moodle_plain_text_refusal_is_shown(client, moodle, monkeypatch):
    original = reg.tool_registration_request
    monkeypatch.setattr(reg, "tool_registration_request",
                        lambda **kw: {k: v for k, v in original(**kw).items() if k != "client_name"})
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and b"refused Accolade&#x27;s registration (HTTP 400)" in page.content
    assert b"missing required attribute client_name" in page.content and b"Nothing was stored" in page.content
    assert nothing_stored()


def test_canvas_422_errors_are_shown(client, make_lms, monkeypatch):
    canvas = make_lms("canvas")
    original = reg.tool_registration_request
    monkeypatch.setattr(reg, "tool_registration_request",
                        lambda **kw: {**original(**kw), "grant_types": ["implicit"], "client_name": ""})
    page = client.get(canvas.start(REGISTER))
    assert page.status_code == 502 and b"(HTTP 422)" in page.content
    assert b"grant_types: grant_types must include implicit and client_credentials" in page.content
    assert b"client_name: client_name is required" in page.content
    assert nothing_stored()


def test_a_reused_moodle_token_is_refused_and_the_first_registration_kept(client, moodle):
    token = moodle.issue_token()
    assert client.get(moodle.start(REGISTER, token=token)).status_code == 200
    again = client.get(moodle.start(REGISTER, token=token))
    assert again.status_code == 502 and b"token_already_used" in again.content
    assert LtiRegistration.objects.count() == 1


@pytest.mark.parametrize(("raw", "message"), [
    ((500, "text/html", b"<html><h1>Fatal error</h1> at line 12</html>"),
     b"failed while registering Accolade (HTTP 500)"),
    ((400, "application/json", json.dumps({"error": "invalid_redirect_uri",
                                           "error_description": "redirect_uris must be https"}).encode()),
     b"invalid_redirect_uri: redirect_uris must be https"),
    ((422, "application/json", json.dumps({"errors": {"redirect_uris": [{"attribute": "redirect_uris",
                                                                        "message": "is invalid"}]}}).encode()),
     b"redirect_uris: redirect_uris: is invalid"),
    ((401, "application/json", json.dumps({"errorMessage": "JWT did not include expected contents"}).encode()),
     b"JWT did not include expected contents"),
    ((302, "text/plain", b""), b"answered the registration with HTTP 302"),
    ((200, "text/html", b"<html>Registered!</html>"), b"registration answer is not a JSON object"),
    ((200, "application/json", b"{}"), b"has no client_id"),
    ((200, "application/json", json.dumps({"client_id": "x" * 300}).encode()), b"longer than 255 characters"),
    ((200, "application/json", json.dumps({"client_id": "abc\u0007"}).encode()), b"control characters"),
    ((200, "application/json", json.dumps({"client_id": " abc"}).encode()), b"spaces at its ends"),
    ((200, "application/json", json.dumps({"client_id": ["abc"]}).encode()), b"client_id is not a string"),
    ((200, "application/json", json.dumps({"client_id": "abc\u0000"}).encode()), b"NUL character"),
    ((200, "application/json", json.dumps({"client_id": "abc", TOOL_CONFIGURATION: {"deployment_id": {"a": 1}}}
                                          ).encode()), b"deployment_id is not a string"),
])
def test_a_failed_or_unusable_registration_answer_stores_nothing(client, moodle, raw, message):
    moodle.registration_raw = raw
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and message in page.content, page.content.decode()[:3000]
    assert b"Fatal error" not in page.content  # HTML bodies are not echoed
    assert nothing_stored()


def test_what_the_platform_says_is_escaped(client, moodle):
    moodle.registration_raw = (400, "application/json", json.dumps(
        {"error": "<script>alert(1)</script>", "error_description": "<img src=x onerror=alert(2)>"}).encode())
    page = client.get(moodle.start(REGISTER))
    assert b"<script>alert(1)" not in page.content and b"<img src=x" not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content


@pytest.mark.parametrize("stage", ["configuration", "registration"])
def test_a_platform_that_does_not_answer_in_time_gets_a_clear_page(client, moodle, settings, stage):
    settings.ACCOLADE = {**settings.ACCOLADE, "REMOTE_FETCH_TIMEOUT": 0.5}
    moodle.delays = {stage: 3}
    page = client.get(moodle.start(REGISTER))
    assert page.status_code == 502 and b"the platform did not answer within 0.5 seconds" in page.content
    assert nothing_stored()


# --- Re-registration ------------------------------------------------------------------------------------

def test_re_registration_refreshes_a_pending_registration_but_never_an_active_one(client, make_lms, issuer):
    canvas = make_lms("canvas")
    canvas.next_client_id = "10000000000042"
    assert client.get(canvas.start(REGISTER)).status_code == 200
    canvas.configuration_changes = {"jwks_uri": canvas.base + "/api/lti/security/jwks?v=2"}
    canvas.next_client_id = "10000000000042"
    refreshed = client.get(canvas.start(REGISTER))
    assert refreshed.status_code == 200 and b"a pending registration with the same client id was updated" \
        in refreshed.content
    registration = LtiRegistration.objects.get()
    assert registration.key_set_url.endswith("?v=2") and registration.status == "pending"

    reg.lti_registration_approve(registration=registration, issuer=issuer)
    canvas.configuration_changes = {"jwks_uri": canvas.base + "/api/lti/security/jwks?v=3"}
    canvas.next_client_id = "10000000000042"
    refused = client.get(canvas.start(REGISTER))
    assert refused.status_code == 409 and b"and it is active; Accolade did not change it" in refused.content
    registration.refresh_from_db()
    assert registration.key_set_url.endswith("?v=2") and registration.status == "active"
    assert LtiRegistration.objects.count() == 1

    canvas.next_client_id = "10000000000043"  # a new client id is a new (pending) registration
    assert client.get(canvas.start(REGISTER)).status_code == 200
    assert sorted(LtiRegistration.objects.values_list("status", flat=True)) == ["active", "pending"]
    assert LtiPlatform.objects.count() == 1


# --- The recorded Moodle exchange ------------------------------------------------------------------------

def test_the_recorded_moodle_configuration_passes_the_validator():
    document = json.loads((FIXTURES / "openid_configuration.json").read_text())
    url = json.loads((FIXTURES / "initiation.redirect_to_tool.json").read_text())["tool_receives"]["query"][
        "openid_configuration"]
    configuration = reg.platform_configuration_validate(url=url, document=document)
    assert configuration.issuer == "http://127.0.0.1:8500" and configuration.family == "moodle"
    assert configuration.registration_endpoint == "http://127.0.0.1:8500/mod/lti/openid-registration.php"
    assert configuration.auth_audience == ""
    assert configuration.messages_supported == {"LtiResourceLinkRequest": (), "LtiDeepLinkingRequest": ("ContentArea",)}
    assert reg.requested_scopes(configuration) == ALL_SCOPES
    body = reg.tool_registration_request(configuration=configuration)
    recorded = json.loads((FIXTURES / "registration.post.json").read_text())
    assert set(recorded["request"]["body"]) - {"custom_parameters"} <= set(body)
    assert set(recorded["request"]["body"][TOOL_CONFIGURATION]) - {"custom_parameters"} <= set(
        body[TOOL_CONFIGURATION])


def test_the_recorded_moodle_answer_is_read():
    recorded = json.loads((FIXTURES / "registration.post.json").read_text())["response"]["body"]
    answer = reg.registration_answer_read(answer=recorded, requested=ALL_SCOPES)
    assert answer.client_id == "EvChJObsj3WtI3o" and answer.deployment_id == "3"
    assert answer.scopes == ALL_SCOPES  # Moodle reorders them; we keep ours


def test_the_recorded_moodle_configuration_is_refused_in_production(settings):
    settings.PRODUCTION = True
    document = json.loads((FIXTURES / "openid_configuration.json").read_text())
    with pytest.raises(reg.RegistrationRefused, match="accepted only outside production"):
        reg.platform_configuration_validate(url="http://127.0.0.1:8500/mod/lti/openid-configuration.php",
                                            document=document)


# --- Manual registration, admin rules, commands ------------------------------------------------------------

def test_manual_registration_through_the_admin_then_launch(client, admin_client, platform, issuer):
    added = admin_client.post("/admin/lti_tool/ltiplatform/add/", {"issuer": platform.issuer, "name": "Moodle",
                                                                    "family": "moodle"})
    assert added.status_code == 302
    lms = LtiPlatform.objects.get()
    form = {"platform": lms.pk, "client_id": platform.client_id, "status": "active",
            "auth_login_url": platform.auth_url, "auth_token_url": f"{platform.issuer}/token", "auth_audience": "",
            "key_set_url": platform.jwks_server.url, "scopes": "[]",
            "deployments-TOTAL_FORMS": "1", "deployments-INITIAL_FORMS": "0", "deployments-MIN_NUM_FORMS": "0",
            "deployments-MAX_NUM_FORMS": "1000", "deployments-0-deployment_id": platform.deployment_id,
            "deployments-0-name": "Site tool", "deployments-0-issuer": "", "deployments-0-status": "active"}
    refused = admin_client.post("/admin/lti_tool/ltiregistration/add/", form)
    assert refused.status_code == 200 and b"Choose the Accolade issuer" in refused.content
    added = admin_client.post("/admin/lti_tool/ltiregistration/add/", {**form, "deployments-0-issuer": issuer.pk})
    assert added.status_code == 302, added.content.decode()[:3000]
    registration = LtiRegistration.objects.get()
    assert registration.registered_via == "manual" and registration.deployments.get().status == "active"
    result = platform.launch(client)
    assert result.response.status_code == 303, result.response.content.decode()[:800]

    page = admin_client.get(f"/admin/lti_tool/ltiregistration/{registration.pk}/change/")
    assert b"http://testserver/lti/login" in page.content and b"http://testserver/lti/jwks" in page.content
    assert registration.deployments.exists()
    assert b'class="deletelink"' not in page.content  # a registration with deployments cannot be deleted
    assert admin_client.post(f"/admin/lti_tool/ltiregistration/{registration.pk}/delete/", {"post": "yes"}
                             ).status_code == 403
    deployment = registration.deployments.get()
    assert admin_client.post(f"/admin/lti_tool/ltideployment/{deployment.pk}/delete/", {"post": "yes"}
                             ).status_code == 403  # it has a course and a launch now
    actions = admin_client.get("/admin/lti_tool/ltiregistration/").context["action_form"].fields["action"].choices
    assert "delete_selected" not in dict(actions)


def test_disable_actions_stop_launches(client, admin_client, deployment, platform):
    admin_client.post("/admin/lti_tool/ltideployment/", {"action": "disable", "_selected_action": [deployment.pk],
                                                         "index": 0})
    assert platform.launch(client).response.status_code == 403
    admin_client.post("/admin/lti_tool/ltiregistration/", {"action": "disable",
                                                           "_selected_action": [deployment.registration.pk],
                                                           "index": 0})
    assert deployment.registration.__class__.objects.get(pk=deployment.registration.pk).status == "disabled"
    login = platform.launch(client).login
    assert login.status_code == 403 and b"has been disabled" in login.content


def test_approve_command_leaves_deployments_without_issuer_pending(client, moodle):
    assert client.get(moodle.start(REGISTER)).status_code == 200
    registration = LtiRegistration.objects.get()
    out, err = StringIO(), StringIO()
    call_command("lti_registration_approve", registration.client_id, stdout=out, stderr=err)
    assert "is active" in out.getvalue() and "stays pending: no issuer" in err.getvalue()
    assert LtiDeployment.objects.get().status == "pending"
    with pytest.raises(CommandError, match="no single LTI registration"):
        call_command("lti_registration_approve", "no-such-client")


def test_list_and_urls_commands(client, moodle, settings):
    assert client.get(moodle.start(REGISTER)).status_code == 200
    registration = LtiRegistration.objects.get()
    out = StringIO()
    call_command("lti_registration_list", stdout=out)
    text = out.getvalue()
    assert str(registration.uuid) in text and "pending" in text and moodle.issuer in text
    assert "deployment 3\tpending\t(no issuer chosen)" in text
    out = StringIO()
    call_command("lti_registration_list", "--status", "active", stdout=out)
    assert out.getvalue().strip() == "No LTI registrations."

    out = StringIO()
    call_command("lti_tool_urls", "--show-code", stdout=out)
    text = out.getvalue()
    assert f"Dynamic Registration URL: http://testserver/lti/register?code={CODE}" in text
    assert "OpenID Connect login initiation URL: http://testserver/lti/login" in text
    assert "Public keyset (JWKS) URL: http://testserver/lti/jwks" in text
    out = StringIO()
    call_command("lti_tool_urls", stdout=out)
    assert CODE not in out.getvalue()
    out = StringIO()
    call_command("lti_tool_urls", "--canvas-json", stdout=out)
    config = json.loads(out.getvalue())
    assert config["oidc_initiation_url"] == "http://testserver/lti/login"
    assert config["public_jwk_url"] == "http://testserver/lti/jwks"
    assert config["extensions"][0]["privacy_level"] == "public"
    assert {p["placement"] for p in config["extensions"][0]["settings"]["placements"]} == {
        "assignment_selection", "link_selection"}


def test_the_logo_is_served(client):
    response = client.get("/lti/logo.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def _jwt_sub(token: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})["sub"]
