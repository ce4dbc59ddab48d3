"""Server side of the cookie-less launch (research lti.md §1.4; N24–N26): the state cookie, the LTI
client-side platform storage pages, the storage proof, and the new-window fallback.

Real RS256 id_tokens from lti1p3platform through Django's test client. The JavaScript half (put/get in
a platform frame, with third-party cookies blocked) runs in Chromium: tests/browser/test_lti_storage.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lti_tool.models import LtiLaunch, LtiOidcState
from lti_tool.views.lti import STORAGE_PROOF_FIELD, platform_origin, storage_proof

from .platforms import LEARNER, json_script, reason_code

TOOL_LAUNCH = "http://testserver/lti/launch"
CANVAS_STORAGE = {"lti_storage_target": "post_message_forwarding"}


def set_cookie(response) -> str:
    return response["Set-Cookie"] if response.has_header("Set-Cookie") else ""


def storage_login(client, platform, target: str = "post_message_forwarding"):
    """Start a login with a storage target; return (login page, authorization query)."""
    login, query = platform.start_login(client, login_extra={"lti_storage_target": target})
    assert login.status_code == 200, login.content[:500]
    return login, query


def id_token(platform, query, **claim_options) -> str:
    return platform.sign(platform.claims(query, sub="user-1", roles=[LEARNER], target=TOOL_LAUNCH, **claim_options))


def no_django_cookies(response) -> bool:
    return not {"sessionid", "csrftoken"} & set(response.cookies)


# --- login ---------------------------------------------------------------------------------------------

def test_login_without_storage_redirects_and_sets_only_the_partitioned_state_cookie(client, deployment, platform):
    login, query = platform.start_login(client)
    assert login.status_code == 302 and login["Location"].startswith("https://moodle.example.edu/auth?")
    cookie = set_cookie(login)
    assert cookie.startswith(f"lti-state-{query['state']}={query['state']};")
    for attribute in ("Path=/lti/", "Max-Age=600", "Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in cookie.split("; ")
    assert no_django_cookies(login)
    assert "no-store" in login["Cache-Control"]


def test_login_with_a_storage_target_renders_the_put_data_page(client, deployment, platform):
    login, query = storage_login(client, platform)
    page = login.content.decode()
    assert json_script(page, "lti-target") == "post_message_forwarding"
    # targetOrigin is the OIDC authorization URL's origin (lti-cs-pm), never "*".
    assert json_script(page, "lti-origin") == "https://moodle.example.edu"
    assert json_script(page, "lti-state") == query["state"]
    assert json_script(page, "lti-timeout") > 0
    assert json_script(page, "lti-auth").startswith("https://moodle.example.edu/auth?")
    # The stored value is the proof, not the state the OIDC redirect carries.
    assert json_script(page, "lti-value") == storage_proof(query["state"]) != query["state"]
    assert '"lti.put_data"' in page and ', "*")' not in page
    # The cookie is set as well: a platform that names a target but never answers (Canvas mobile) falls back to it.
    assert set_cookie(login).startswith(f"lti-state-{query['state']}=")
    assert "Open Accolade in a new window" in page and 'href="http://testserver/lti/login?iss=' in page
    assert "no-store" in login["Cache-Control"] and no_django_cookies(login)
    assert LtiOidcState.objects.get(state=query["state"]).storage_target == "post_message_forwarding"


@pytest.mark.parametrize(("url", "origin"), [
    ("https://sso.canvaslms.com/api/lti/authorize_redirect", "https://sso.canvaslms.com"),
    ("http://127.0.0.1:8080/auth?x=1", "http://127.0.0.1:8080"),
    ("https://lms.example.edu:8443/mod/lti/auth.php", "https://lms.example.edu:8443"),
    ("javascript:alert(1)", ""),
    ("", ""),
])
def test_platform_origin_is_the_authorization_urls_origin(deployment, url, origin):
    deployment.registration.auth_login_url = url
    assert platform_origin(deployment.registration) == origin


def test_the_proof_is_bound_to_its_state():
    assert storage_proof("state-a") == storage_proof("state-a")
    assert storage_proof("state-a") != storage_proof("state-b")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", storage_proof("state-a"))


# --- launch through platform storage ---------------------------------------------------------------------

def test_launch_without_the_cookie_asks_the_platform_storage_and_consumes_nothing(client, deployment, platform):
    _login, query = storage_login(client, platform)
    token = id_token(platform, query)
    check = client.post("/lti/launch", {"id_token": token, "state": query["state"], **CANVAS_STORAGE})
    assert check.status_code == 200
    page = check.content.decode()
    assert '"lti.get_data"' in page
    assert json_script(page, "lti-target") == "post_message_forwarding"
    assert json_script(page, "lti-origin") == "https://moodle.example.edu"
    assert json_script(page, "lti-state") == query["state"]
    # The page posts the launch back with the proof it reads; no launch token is in it before that.
    assert 'action="http://testserver/lti/launch"' in page and f'value="{token}"' in page
    assert f'name="{STORAGE_PROOF_FIELD}"' in page and "lt=" not in page
    assert LtiOidcState.objects.get(state=query["state"]).used_at is None
    assert LtiLaunch.objects.count() == 0
    assert "no-store" in check["Cache-Control"] and not set_cookie(check)


def test_the_right_proof_lands_once(client, deployment, platform):
    _login, query = storage_login(client, platform)
    form = {"id_token": id_token(platform, query), "state": query["state"],
            STORAGE_PROOF_FIELD: storage_proof(query["state"])}
    landed = client.post("/lti/launch", form)
    assert landed.status_code == 303, landed.content[:600]
    assert landed["Location"].startswith("http://testserver/lti/badge?lt=")
    token = parse_qs(urlsplit(landed["Location"]).query)["lt"][0]
    assert client.get("/lti/badge", {"lt": token}).status_code == 200
    assert LtiOidcState.objects.get(state=query["state"]).used_at is not None
    assert no_django_cookies(landed) and not set_cookie(landed)
    again = client.post("/lti/launch", form)
    assert again.status_code == 401 and reason_code(again) == "replay"
    assert LtiLaunch.objects.count() == 1


@pytest.mark.parametrize("proof", ["", "forged", "state-value", "x" * 500], ids=["empty", "forged", "text", "long"])
def test_a_wrong_proof_is_refused_without_burning_the_login(client, deployment, platform, proof):
    _login, query = storage_login(client, platform)
    form = {"id_token": id_token(platform, query), "state": query["state"]}
    refused = client.post("/lti/launch", {**form, STORAGE_PROOF_FIELD: proof or ""})
    assert refused.status_code == 401 and reason_code(refused) == "storage_mismatch"
    assert "does not belong to this launch" in refused.content.decode()
    assert LtiOidcState.objects.get(state=query["state"]).used_at is None and LtiLaunch.objects.count() == 0
    # The browser that really started the login can still finish it.
    assert client.post("/lti/launch", {**form, STORAGE_PROOF_FIELD: storage_proof(query["state"])}).status_code == 303


def test_the_proof_of_another_login_is_refused(client, deployment, platform):
    _first, first = storage_login(client, platform)
    _second, second = storage_login(client, platform)
    refused = client.post("/lti/launch", {"id_token": id_token(platform, second), "state": second["state"],
                                          STORAGE_PROOF_FIELD: storage_proof(first["state"])})
    assert refused.status_code == 401 and reason_code(refused) == "storage_mismatch"


def test_the_state_itself_is_not_a_proof(client, deployment, platform):
    """Someone holding a leaked id_token and state cannot finish the launch without the stored proof."""
    _login, query = storage_login(client, platform)
    refused = client.post("/lti/launch", {"id_token": id_token(platform, query), "state": query["state"],
                                          STORAGE_PROOF_FIELD: query["state"]})
    assert refused.status_code == 401 and reason_code(refused) == "storage_mismatch"


def test_a_bad_token_with_the_right_proof_is_still_validated(client, deployment, platform):
    _login, query = storage_login(client, platform)
    claims = platform.claims(query, sub="user-1", roles=[LEARNER], target=TOOL_LAUNCH)
    claims["nonce"] = "not-the-issued-nonce"
    refused = client.post("/lti/launch", {"id_token": platform.sign(claims), "state": query["state"],
                                          STORAGE_PROOF_FIELD: storage_proof(query["state"])})
    assert refused.status_code == 401 and reason_code(refused) == "bad_nonce"
    assert LtiLaunch.objects.count() == 0


def test_an_expired_storage_login_gets_the_state_error_not_the_storage_page(client, deployment, platform):
    _login, query = storage_login(client, platform)
    LtiOidcState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = client.post("/lti/launch", {"id_token": id_token(platform, query), "state": query["state"]})
    assert refused.status_code == 401 and reason_code(refused) == "bad_state"


def test_a_used_storage_login_gets_replay_not_the_storage_page(client, deployment, platform):
    _login, query = storage_login(client, platform)
    form = {"id_token": id_token(platform, query), "state": query["state"]}
    assert client.post("/lti/launch", {**form, STORAGE_PROOF_FIELD: storage_proof(query["state"])}).status_code == 303
    again = client.post("/lti/launch", form)
    assert again.status_code == 401 and reason_code(again) == "replay"


# --- launch with the cookie, and without either -----------------------------------------------------------

def test_the_cookie_wins_when_it_comes_back_and_is_deleted_in_its_partition(client, deployment, platform):
    login, query = storage_login(client, platform)
    name, _, rest = set_cookie(login).partition("=")
    client.cookies[name] = rest.split(";", 1)[0]
    landed = client.post("/lti/launch", {"id_token": id_token(platform, query), "state": query["state"]})
    assert landed.status_code == 303 and "/lti/badge?lt=" in landed["Location"]
    deletion = set_cookie(landed)
    assert deletion.startswith(f"{name}=;") and "Max-Age=0" in deletion and "Partitioned" in deletion.split("; ")
    assert no_django_cookies(landed)


def test_no_cookie_and_no_storage_offers_a_new_window_with_the_original_login(client, deployment, platform):
    result = platform.launch(client, cookie=False)
    assert result.response.status_code == 401
    page = result.response.content.decode()
    assert "Open Accolade in a new window" in page and 'target="_blank"' in page
    restart = re.search(r'href="(http://testserver/lti/login\?[^"]+)"', page).group(1).replace("&amp;", "&")
    sent = parse_qs(urlsplit(restart).query)
    assert sent["iss"] == [platform.issuer] and sent["client_id"] == [platform.client_id]
    assert sent["login_hint"] == ["user-1"] and sent["lti_message_hint"] == ["hint-1"]
    assert sent["target_link_uri"] == [TOOL_LAUNCH] and "lti_storage_target" not in sent
    # The new window starts a fresh login there (first-party cookie) and lands.
    assert client.get(restart.removeprefix("http://testserver")).status_code == 302
    assert LtiLaunch.objects.count() == 0
