"""Negative launch cases N1–N29 (research lti.md §5.3) and hostile login / launch input.

Every token is a real RS256 id_token built by lti1p3platform for a full OIDC exchange against our
views; a case changes one claim or one signing detail. Each refusal asserts the HTTP status AND the
reason code the error page shows, so a case cannot pass for the wrong reason. N25 and the browser
half of N26 (blocked third-party cookies, postMessage storage in a real browser) run in Chromium
(tests/browser); this file covers the server side of N26. N29 is in test_links.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils import timezone
from jwcrypto.jwk import JWK

from lti_tool.lti import claims as c
from lti_tool.lti.launch import MAX_ID_TOKEN_BYTES
from lti_tool.models import LtiDeployment, LtiLaunch, LtiOidcState, LtiPlatformKeySet, LtiRegistration

from .platforms import (
    INSTRUCTOR,
    Platform,
    complete_storage_check,
    json_script,
    new_rsa_key,
    reason_code,
    storage_check_form,
)

TOOL_LAUNCH = "http://testserver/lti/launch"


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:600]
    assert reason_code(response) == code, response.content[:600]
    assert LtiLaunch.objects.count() == 0


def assert_landed(response, page: str = "badge") -> str:
    assert response.status_code == 303, response.content[:600]
    assert f"/lti/{page}?lt=" in response["Location"]
    return parse_qs(urlsplit(response["Location"]).query)["lt"][0]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict, body: dict, signer=None) -> str:
    """Build a JWS by hand (PyJWT refuses to make the broken ones)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"
    return signing_input + "." + (b64(signer(signing_input.encode())) if signer else "")


def with_times(claims: dict, *, lifetime: int = 300) -> dict:
    now = int(time.time())
    return {"iat": now, "exp": now + lifetime, **claims}


# --- signing variants: each takes the platform and returns a ``sign(claims) -> token`` --------------

def unsigned(platform: Platform):
    return lambda claims: compact({"alg": "none", "typ": "JWT", "kid": platform.kid}, with_times(claims))


def hs256_with_public_pem(platform: Platform):
    secret = platform.public_pem.encode()
    return lambda claims: compact({"alg": "HS256", "typ": "JWT", "kid": platform.kid}, with_times(claims),
                                  lambda data: hmac.new(secret, data, hashlib.sha256).digest())


def rs512(platform: Platform):
    return lambda claims: platform.sign(claims, algorithm="RS512")


def other_key_same_kid(platform: Platform):
    other, _public = new_rsa_key()
    return lambda claims: platform.sign(claims, key_pem=other)


def without_kid(platform: Platform):
    return lambda claims: jwt.encode(with_times(claims), platform.private_pem, algorithm="RS256")


def kid(value):
    """Sign with ``kid`` set to ``value`` (by hand: PyJWT refuses a kid that is not a string)."""
    def sign(platform: Platform):
        key = serialization.load_pem_private_key(platform.private_pem.encode(), password=None)
        return lambda claims: compact({"alg": "RS256", "typ": "JWT", "kid": value}, with_times(claims),
                                      lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    return sign


def omitting(*names: str):
    return lambda platform: lambda claims: platform.sign(claims, omit=names)


def setting(**values):
    def mutate(claims):
        now = int(time.time())
        for name, value in values.items():
            claims[name] = value(now) if callable(value) else value
    return mutate


def setting_claim(name: str, value):
    return lambda claims: claims.__setitem__(name, value)


def dropping(*names: str):
    def mutate(claims):
        for name in names:
            claims.pop(name, None)
    return mutate


def merge(*mutations):
    def mutate(claims):
        for mutation in mutations:
            mutation(claims)
    return mutate


def dropping_link_id(claims):
    claims[c.RESOURCE_LINK] = {"title": "no id"}


def replacing_all(claims):
    claims.clear()
    claims["name"] = "badltilaunch"


UNTRUSTED = "untrusted-client"


# (mutate, sign, status, code); ``target`` is the launch target the login names.
REFUSED = {
    "N1 alg none": (None, unsigned, 401, "bad_alg"),
    "N2 HS256 with the public key": (None, hs256_with_public_pem, 401, "bad_alg"),
    "N2b RS512 (allow-list is RS256 only)": (None, rs512, 401, "bad_alg"),
    "N3 other key, same kid": (None, other_key_same_kid, 401, "bad_signature"),
    "N4 no kid": (None, without_kid, 401, "no_kid"),
    "N4b kid null": (None, kid(None), 401, "no_kid"),
    "N4c kid empty": (None, kid(""), 401, "no_kid"),
    "N4d kid not a string": (None, kid(7), 401, "no_kid"),
    "N7 exp in the past": (setting(iat=lambda now: now - 200, exp=lambda now: now - 120), None, 401, "expired"),
    "N7b certification timestamps iat=11111 exp=22222": (setting(iat=11111, exp=22222), None, 401, "expired"),
    "N8 exp missing": (None, omitting("exp"), 401, "missing_claim"),
    "N8b iat missing": (None, omitting("iat"), 401, "missing_claim"),
    "N9b iat beyond the leeway": (setting(iat=lambda now: now + 120), None, 401, "not_yet_valid"),
    "N10 iat hours old, exp valid": (setting(iat=lambda now: now - 3 * 3600, exp=lambda now: now + 300), None,
                                     401, "too_old"),
    "N11 nbf in the future": (setting(nbf=lambda now: now + 300), None, 401, "not_yet_valid"),
    "N12 nonce missing": (dropping("nonce"), None, 401, "missing_claim"),
    "N12b nonce not issued by us": (setting(nonce="a-nonce-we-never-issued"), None, 401, "bad_nonce"),
    "N15 iss unknown": (setting(iss="https://evil.example"), None, 401, "unknown_registration"),
    "N15b iss missing": (dropping("iss"), None, 401, "no_iss"),
    "N16 aud and azp other client": (setting(aud="other-client", azp="other-client"), None, 401,
                                     "unknown_registration"),
    "N16 aud other client, no azp": (merge(setting(aud="other-client"), dropping("azp")), None, 401,
                                     "unknown_registration"),
    "N16 aud other client, azp still us": (setting(aud="other-client"), None, 401, "bad_azp"),
    "N16b aud missing": (dropping("aud"), None, 401, "bad_aud"),
    "N16c aud not strings": (setting(aud=[7]), None, 401, "bad_aud"),
    "N17 untrusted extra audience, no azp": (merge(setting(aud=["client-1", UNTRUSTED]), dropping("azp")), None,
                                             401, "bad_aud"),
    "N17 untrusted extra audience, azp us": (setting(aud=["client-1", UNTRUSTED], azp="client-1"), None, 401,
                                             "bad_aud"),
    "N17 untrusted audience first, azp us": (setting(aud=[UNTRUSTED, "client-1"], azp="client-1"), None, 401,
                                             "bad_aud"),
    "N19 azp is not us": (setting(azp="other-client"), None, 401, "bad_azp"),
    "N19b azp names the extra audience": (setting(aud=["client-1", UNTRUSTED], azp=UNTRUSTED), None, 401,
                                          "unknown_registration"),
    "N21 deployment_id missing": (dropping(c.DEPLOYMENT_ID), None, 401, "missing_claim"),
    "N21 deployment_id not a string": (setting_claim(c.DEPLOYMENT_ID, 1), None, 401, "missing_claim"),
    "N21 version missing": (dropping(c.VERSION), None, 401, "bad_version"),
    "N21 message_type missing": (dropping(c.MESSAGE_TYPE), None, 401, "missing_claim"),
    "N21 roles missing": (dropping(c.ROLES), None, 401, "missing_claim"),
    "N21 roles not a list": (setting_claim(c.ROLES, "Instructor"), None, 401, "missing_claim"),
    "N21 resource_link missing": (dropping(c.RESOURCE_LINK), None, 401, "missing_claim"),
    "N21 resource_link without id": (dropping_link_id, None, 401, "missing_claim"),
    "N21 sub missing": (dropping("sub"), None, 401, "missing_claim"),
    "N21 sub empty": (setting(sub=""), None, 401, "missing_claim"),
    "N21 certification: aud, iss, sub, deployment_id, roles all missing": (
        dropping("aud", "iss", "sub", c.DEPLOYMENT_ID, c.ROLES), None, 401, "no_iss"),
    "N21 certification: not an LTI 1.3 JWT": (replacing_all, None, 401, "no_iss"),
    "N22 version 11.3": (setting_claim(c.VERSION, "11.3"), None, 401, "bad_version"),
    "N22 version 1.1": (setting_claim(c.VERSION, "1.1"), None, 401, "bad_version"),
    "N22 LtiSubmissionReviewRequest": (setting_claim(c.MESSAGE_TYPE, "LtiSubmissionReviewRequest"), None, 401,
                                       "unsupported_message"),
    "N22 DataPrivacyLaunchRequest": (setting_claim(c.MESSAGE_TYPE, "DataPrivacyLaunchRequest"), None, 401,
                                     "unsupported_message"),
    "N22 LtiStartProctoring": (setting_claim(c.MESSAGE_TYPE, "LtiStartProctoring"), None, 401,
                               "unsupported_message"),
    "N22 made-up message type": (setting_claim(c.MESSAGE_TYPE, "LtiBadgeRequest"), None, 401,
                                 "unsupported_message"),
    "N23 target_link_uri foreign": (setting_claim(c.TARGET_LINK_URI, "https://evil.example/lti/launch"), None, 401,
                                    "bad_target"),
    "N23 target_link_uri missing": (dropping(c.TARGET_LINK_URI), None, 401, "bad_target"),
    "N23 target_link_uri not the login's": (setting_claim(c.TARGET_LINK_URI, "http://testserver/lti/deep-link"),
                                            None, 401, "bad_target"),
    "N23 target_link_uri with a fragment": (setting_claim(c.TARGET_LINK_URI, TOOL_LAUNCH + "#x"), None, 401,
                                            "bad_target"),
    "N28 numeric sub": (setting(sub=12345), None, 401, "invalid_token"),
    "N28 numeric jti": (setting(jti=42), None, 401, "invalid_token"),
}


@pytest.mark.parametrize(("mutate", "sign", "status", "code"), list(REFUSED.values()), ids=list(REFUSED))
def test_refused_launch(client, deployment, platform, mutate, sign, status, code):
    result = platform.launch(client, mutate=mutate, sign=sign(platform) if sign else None)
    assert_refused(result.response, status, code)


def test_n28_pyjwt_rejects_non_string_sub_and_jti():
    """N28 relies on PyJWT ≥ 2.10 refusing numeric ``sub``/``jti``; fail loudly if an upgrade changes that."""
    private, public = new_rsa_key()
    for claims, error in (({"sub": 4}, jwt.exceptions.InvalidSubjectError),
                          ({"jti": 4}, jwt.exceptions.InvalidJTIError)):
        token = jwt.encode({**claims, "exp": int(time.time()) + 60}, private, algorithm="RS256")
        with pytest.raises(error):
            jwt.decode(token, public, algorithms=["RS256"])


def test_n28_numeric_sub_is_refused_as_such(client, deployment, platform):
    result = platform.launch(client, mutate=setting(sub=4))
    assert b"Subject must be a string" in result.response.content


# --- accepted edge cases -------------------------------------------------------------------------------

def test_n9_iat_in_the_future_within_the_leeway_is_accepted(client, deployment, platform):
    assert_landed(platform.launch(client, mutate=setting(iat=lambda now: now + 30)).response)


def test_n18_several_audiences_with_azp_naming_us_are_accepted(client, deployment, platform):
    # The other audience is trusted: it is our own other client id at the same platform.
    Platform(issuer=platform.issuer, client_id="client-2", deployment_id="1", jwks_server=platform.jwks_server,
             kid=platform.kid, private_pem=platform.private_pem, public_pem=platform.public_pem).register()
    assert_landed(platform.launch(client, mutate=setting(aud=["client-2", "client-1"], azp="client-1")).response)


def test_single_audience_as_a_list_is_accepted(client, deployment, platform):
    assert_landed(platform.launch(client, mutate=setting(aud=["client-1"])).response)


def test_empty_roles_and_unknown_roles_are_accepted(client, deployment, platform):
    assert_landed(platform.launch(client, roles=[]).response)
    assert LtiLaunch.objects.get().roles == []
    assert_landed(platform.launch(client, sub="user-2", roles=["http://example.edu/roles#Dean"]).response)


def test_a_jwk_without_alg_is_accepted(client, deployment, platform):
    platform.publish(with_alg=False)  # Open edX publishes its key without "alg"
    assert "alg" not in platform.jwks_server.jwks["keys"][0]
    assert_landed(platform.launch(client).response)


# --- N5 / N6: unknown kid, JWKS refetch and its rate limit ------------------------------------------------

def warm(client, platform: Platform) -> int:
    """Make one good launch so the key set is cached; return the fetch count after it."""
    assert_landed(platform.launch(client, sub="warm-up").response)
    LtiLaunch.objects.all().delete()
    return platform.jwks_server.fetches


def test_n5_unknown_kid_not_in_the_jwks_even_after_refetch(client, deployment, platform):
    fetches = warm(client, platform)
    stranger, _public = new_rsa_key()
    result = platform.launch(client, sign=lambda claims: platform.sign(claims, key_pem=stranger,
                                                                       headers={"kid": "not-published"}))
    assert_refused(result.response, 401, "unknown_kid")
    assert platform.jwks_server.fetches == fetches + 1  # refetched once, then refused


def test_n6_rotated_key_is_found_by_exactly_one_refetch(client, deployment, platform):
    fetches = warm(client, platform)
    platform.rotate()
    assert_landed(platform.launch(client).response)
    assert platform.jwks_server.fetches == fetches + 1
    # The refreshed cache now serves the new key without fetching again.
    assert_landed(platform.launch(client, sub="user-2").response)
    assert platform.jwks_server.fetches == fetches + 1


def test_refetch_on_unknown_kid_is_rate_limited(client, deployment, platform):
    fetches = warm(client, platform)
    platform.rotate()
    assert_landed(platform.launch(client).response)
    assert platform.jwks_server.fetches == fetches + 1
    LtiLaunch.objects.all().delete()
    # A second unknown kid within the interval does not reach the platform.
    platform.rotate()
    assert_refused(platform.launch(client, sub="user-2").response, 401, "unknown_kid")
    assert platform.jwks_server.fetches == fetches + 1
    # Once the interval has passed, the next unknown kid refetches again.
    LtiPlatformKeySet.objects.update(last_refetch_at=timezone.now() - timedelta(minutes=5))
    assert_landed(platform.launch(client, sub="user-3").response)
    assert platform.jwks_server.fetches == fetches + 2


def test_refetch_rate_limit_holds_when_the_jwks_url_fails(client, deployment, platform):
    fetches = warm(client, platform)
    platform.jwks_server.status = 500
    platform.jwks_server.body = b"<html><body>Internal Server Error</body></html>"
    platform.jwks_server.content_type = "text/html"
    for sub in ("user-2", "user-3", "user-4"):
        result = platform.launch(client, sub=sub, sign=lambda claims: platform.sign(claims, headers={"kid": "new"}))
        assert_refused(result.response, 401, "unknown_kid")
    assert platform.jwks_server.fetches == fetches + 1


def test_cached_keys_are_used_while_fresh(client, deployment, platform):
    fetches = warm(client, platform)
    assert fetches == 1
    for sub in ("user-2", "user-3"):
        assert_landed(platform.launch(client, sub=sub).response)
    assert platform.jwks_server.fetches == 1
    # When the cache lifetime (max-age) is over the key set is fetched again.
    LtiPlatformKeySet.objects.update(fresh_until=timezone.now() - timedelta(seconds=1))
    assert_landed(platform.launch(client, sub="user-4").response)
    assert platform.jwks_server.fetches == 2


def test_expired_keys_serve_a_while_when_the_jwks_url_fails(client, deployment, platform):
    """RFC 5861 stale-if-error: a key set URL that is down neither stops launches nor gets a request each."""
    fetches = warm(client, platform)
    platform.jwks_server.status = 503
    platform.jwks_server.body = b"Service Unavailable"
    platform.jwks_server.content_type = "text/plain"
    LtiPlatformKeySet.objects.update(fresh_until=timezone.now() - timedelta(seconds=1))
    for sub in ("user-2", "user-3", "user-4"):
        assert_landed(platform.launch(client, sub=sub).response)
    assert platform.jwks_server.fetches == fetches + 1  # tried once, then waited out the interval
    # Keys expired longer ago than LTI_JWKS_STALE_IF_ERROR are refused once the retry fails too.
    LtiLaunch.objects.all().delete()
    LtiPlatformKeySet.objects.update(fresh_until=timezone.now() - timedelta(hours=2),
                                     last_refetch_at=timezone.now() - timedelta(minutes=5))
    assert_refused(platform.launch(client, sub="user-5").response, 401, "unknown_kid")
    assert platform.jwks_server.fetches == fetches + 2
    assert_refused(platform.launch(client, sub="user-6").response, 401, "unknown_kid")
    assert platform.jwks_server.fetches == fetches + 2


# --- unusable platform keys and key sets ---------------------------------------------------------------

def ec_jwk(kid_value: str) -> dict:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {**json.loads(JWK.from_pem(pem).export_public()), "kid": kid_value, "use": "sig"}


@pytest.mark.parametrize(("key_set", "message"), [
    pytest.param(lambda p: {"keys": [ec_jwk(p.kid)]}, b"no key with kid", id="EC key under the kid"),
    pytest.param(lambda p: {"keys": [{**p.jwk(), "alg": "RS512"}]}, b"no key with kid", id="RS512 key"),
    pytest.param(lambda p: {"keys": [{**p.jwk(), "use": "enc"}]}, b"no key with kid", id="encryption key"),
    pytest.param(lambda p: {"keys": [{**p.jwk(), "d": "AQAB"}]}, b"private key members", id="private key published"),
    pytest.param(lambda p: {"keys": [{**p.jwk(), "n": "!!"}]}, b"not a valid RSA public key", id="broken modulus"),
    pytest.param(lambda p: {"keys": "none"}, b"is not a JWKS", id="keys not a list"),
    pytest.param(lambda p: [p.jwk()], b"is not a JWKS", id="bare list"),
])
def test_unusable_platform_key_is_refused(client, deployment, platform, key_set, message):
    platform.jwks_server.jwks = key_set(platform)
    result = platform.launch(client)
    assert_refused(result.response, 401, "unknown_kid")
    assert message in result.response.content


def test_short_rsa_key_is_refused(client, deployment, platform):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    platform.private_pem = small.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()).decode()
    platform.public_pem = small.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    platform.publish()
    with pytest.warns(jwt.InsecureKeyLengthWarning):  # the platform side of PyJWT warns too
        result = platform.launch(client)
    assert_refused(result.response, 401, "unknown_kid")
    assert b"at least 2048" in result.response.content


@pytest.mark.parametrize(("status", "body", "content_type", "message"), [
    pytest.param(500, b"<html><body>Internal Server Error</body></html>", "text/html", b"answered HTTP 500",
                 id="500"),
    pytest.param(200, b"<!DOCTYPE html><html><body>Log in to Moodle</body></html>", "text/html",
                 b"not JSON", id="HTML login page"),
    pytest.param(200, b"{not json", "application/json", b"not JSON", id="broken JSON"),
    pytest.param(404, b"Not found", "text/plain", b"answered HTTP 404", id="404"),
])
def test_broken_jwks_url_gives_a_clear_refusal(client, deployment, platform, status, body, content_type, message):
    platform.jwks_server.status = status
    platform.jwks_server.body = body
    platform.jwks_server.content_type = content_type
    result = platform.launch(client)
    assert_refused(result.response, 401, "unknown_kid")
    assert message in result.response.content


# --- N12-N14: nonce and state are single use -----------------------------------------------------------

def test_n13_replay_of_the_same_id_token_and_state(client, deployment, platform):
    result = platform.launch(client)
    assert_landed(result.response)
    state = parse_qs(urlsplit(result.login["Location"]).query)["state"][0]
    client.cookies[f"lti-state-{state}"] = state
    again = client.post("/lti/launch", {"id_token": result.token, "state": state})
    assert again.status_code == 401 and reason_code(again) == "replay"
    assert LtiLaunch.objects.count() == 1


def test_n14_old_id_token_with_a_fresh_state(client, deployment, platform):
    first = platform.launch(client)
    assert_landed(first.response)
    login, query = platform.start_login(client)
    name, _, rest = login["Set-Cookie"].partition("=")
    client.cookies[name] = rest.split(";", 1)[0]
    again = client.post("/lti/launch", {"id_token": first.token, "state": query["state"]})
    assert again.status_code == 401 and reason_code(again) == "bad_nonce"
    assert LtiLaunch.objects.count() == 1


def test_n14_unused_id_token_with_another_login_state(client, deployment, platform):
    _login, first = platform.start_login(client)
    token = platform.sign(platform.claims(first, sub="user-1", roles=[], target=TOOL_LAUNCH))
    _login, second = platform.start_login(client)
    refused = client.post("/lti/launch", {"id_token": token, "state": second["state"]})
    assert_refused(refused, 401, "bad_nonce")


def test_a_consumed_nonce_is_refused_even_under_another_state(client, deployment, platform):
    result = platform.launch(client)
    assert_landed(result.response)
    used = LtiOidcState.objects.get()
    # Defence in depth: even if a second state carried the same nonce, the token is spent.
    twin = LtiOidcState.objects.create(state="twin-state", nonce=used.nonce, registration=used.registration,
                                       target_link_uri=used.target_link_uri, login_hint="user-1",
                                       expires_at=timezone.now() + timedelta(minutes=5))
    client.cookies[f"lti-state-{twin.state}"] = twin.state
    again = client.post("/lti/launch", {"id_token": result.token, "state": twin.state})
    assert again.status_code == 401 and reason_code(again) == "replay"


def test_refused_launch_does_not_spend_the_state(client, deployment, platform):
    login, query = platform.start_login(client)
    claims = platform.claims(query, sub="user-1", roles=[], target=TOOL_LAUNCH)
    name, _, rest = login["Set-Cookie"].partition("=")
    client.cookies[name] = rest.split(";", 1)[0]
    forged = client.post("/lti/launch", {"id_token": other_key_same_kid(platform)(claims), "state": query["state"]})
    assert_refused(forged, 401, "bad_signature")
    # Nobody who saw the state in the redirect can burn it with a forged token.
    assert_landed(client.post("/lti/launch", {"id_token": platform.sign(claims), "state": query["state"]}))


# --- N20: unknown deployments are parked until approved ---------------------------------------------

def test_n20_unknown_deployment_is_parked_as_pending_then_approved(client, deployment, platform, issuer):
    result = platform.launch(client, mutate=setting_claim(c.DEPLOYMENT_ID, "new-deployment"))
    assert_refused(result.response, 403, "deployment_pending")
    parked = LtiDeployment.objects.get(deployment_id="new-deployment")
    assert parked.status == "pending" and parked.issuer is None
    assert parked.registration_id == deployment.registration_id
    # A second launch does not create it twice.
    assert_refused(platform.launch(client, mutate=setting_claim(c.DEPLOYMENT_ID, "new-deployment")).response,
                   403, "deployment_pending")
    assert LtiDeployment.objects.filter(deployment_id="new-deployment").count() == 1
    parked.status, parked.issuer = "active", issuer
    parked.save()
    token = assert_landed(platform.launch(client, mutate=setting_claim(c.DEPLOYMENT_ID, "new-deployment")).response)
    assert client.get("/lti/badge", {"lt": token}).status_code == 200
    assert LtiLaunch.objects.get().deployment == parked


def test_disabled_deployment_is_refused(client, deployment, platform):
    LtiDeployment.objects.filter(pk=deployment.pk).update(status="disabled")
    assert_refused(platform.launch(client).response, 403, "deployment_disabled")


def test_registration_disabled_between_login_and_launch(client, deployment, platform):
    def disable(claims):
        LtiRegistration.objects.update(status="disabled")
    assert_refused(platform.launch(client, mutate=disable).response, 403, "registration_inactive")


def test_n16_token_for_another_registration_of_the_same_platform(client, deployment, platform):
    other = Platform(issuer=platform.issuer, client_id="client-2", deployment_id="1", jwks_server=platform.jwks_server,
                     kid=platform.kid, private_pem=platform.private_pem, public_pem=platform.public_pem)
    other.register()
    result = platform.launch(client, mutate=setting(aud="client-2", azp="client-2"))
    assert_refused(result.response, 401, "bad_state")


# --- N24: state ---------------------------------------------------------------------------------------

def test_n24_tampered_state(client, deployment, platform):
    _login, query = platform.start_login(client)
    token = platform.sign(platform.claims(query, sub="user-1", roles=[], target=TOOL_LAUNCH))
    for state in (query["state"] + "x", query["state"][:-1], "", "' OR 1=1 --"):
        assert_refused(client.post("/lti/launch", {"id_token": token, "state": state}), 401, "bad_state")
    assert_refused(client.post("/lti/launch", {"id_token": token}), 401, "bad_state")


def test_n24_expired_state(client, deployment, platform):
    def expire(claims):
        LtiOidcState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(platform.launch(client, mutate=expire).response, 401, "bad_state")


def test_n24_missing_state_cookie_offers_a_new_window(client, deployment, platform):
    result = platform.launch(client, cookie=False)
    assert result.response.status_code == 401
    assert reason_code(result.response) == ""
    page = result.response.content.decode()
    assert "Open Accolade in a new window" in page
    assert 'href="http://testserver/lti/login?iss=https%3A%2F%2Fmoodle.example.edu' in page
    assert LtiLaunch.objects.count() == 0


def test_n24_state_cookie_of_another_login(client, deployment, platform):
    first_login, _first = platform.start_login(client)
    name, _, rest = first_login["Set-Cookie"].partition("=")
    client.cookies[name] = rest.split(";", 1)[0]  # the browser holds only the first login's cookie
    result = platform.launch(client, cookie=False)
    assert result.response.status_code == 401 and b"Open Accolade in a new window" in result.response.content
    assert LtiLaunch.objects.count() == 0


# --- N26 server side: platform storage instead of the cookie -------------------------------------------

def test_n26_login_with_storage_target_returns_the_storage_page(client, deployment, platform):
    login, query = platform.start_login(client, login_extra={"lti_storage_target": "_parent"})
    assert login.status_code == 200  # a page, not a redirect (lti-cs-oidc)
    assert set(login.cookies) <= {f"lti-state-{query['state']}"}  # no session or CSRF cookie
    page = login.content.decode()
    assert json_script(page, "lti-target") == "_parent"
    assert json_script(page, "lti-origin") == "https://moodle.example.edu"  # targetOrigin: the OIDC auth origin
    assert json_script(page, "lti-state") == query["state"]
    assert json_script(page, "lti-auth").startswith("https://moodle.example.edu/auth?")
    proof = json_script(page, "lti-value")
    assert proof and query["state"] not in proof and proof not in json_script(page, "lti-auth")
    assert "lti.put_data" in page


def test_n26_launch_without_cookie_checks_platform_storage_first(client, deployment, platform):
    result = platform.launch(client, cookie=False, login_extra={"lti_storage_target": "_parent"},
                             launch_extra={"lti_storage_target": "_parent"})
    assert result.response.status_code == 200
    page = result.response.content.decode()
    assert "lti.get_data" in page
    form = storage_check_form(page)
    state = parse_qs(urlsplit(json_script(result.login.content.decode(), "lti-auth")).query)["state"][0]
    assert form["state"] == state and form["id_token"] == result.token
    # Nothing is checked or spent before the platform storage answers.
    assert LtiLaunch.objects.count() == 0 and LtiOidcState.objects.get(state=state).used_at is None
    landed = complete_storage_check(client, result.login, result.response)
    token = assert_landed(landed)
    assert client.get("/lti/badge", {"lt": token}).status_code == 200
    assert LtiOidcState.objects.get(state=state).used_at is not None


def test_n26_storage_proof_of_another_login_is_refused(client, deployment, platform):
    other_login, _query = platform.start_login(client, login_extra={"lti_storage_target": "_parent"})
    result = platform.launch(client, cookie=False, login_extra={"lti_storage_target": "_parent"})
    landed = complete_storage_check(client, other_login, result.response)
    assert_refused(landed, 401, "storage_mismatch")
    forged = complete_storage_check(client, other_login, result.response, value=json_script(
        result.response.content.decode(), "lti-state"))
    assert_refused(forged, 401, "storage_mismatch")


def test_n26_storage_launch_is_still_single_use(client, deployment, platform):
    result = platform.launch(client, cookie=False, login_extra={"lti_storage_target": "_parent"})
    assert_landed(complete_storage_check(client, result.login, result.response))
    again = complete_storage_check(client, result.login, result.response)
    assert again.status_code == 401 and reason_code(again) == "replay"
    assert LtiLaunch.objects.count() == 1


def test_n26_storage_target_with_the_cookie_needs_no_storage_check(client, deployment, platform):
    result = platform.launch(client, login_extra={"lti_storage_target": "_parent"})
    assert_landed(result.response)


# --- N27: Deep Linking into a placement that does not take resource links ------------------------------

def test_n27_deep_linking_without_lti_resource_link_answers_with_errormsg(client, deployment, platform):
    settings = {"deep_link_return_url": "https://moodle.example.edu/dl-return", "accept_types": ["link", "html"],
                "accept_presentation_document_targets": ["iframe"], "data": "opaque-7"}
    result = platform.launch(client, roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest", resource_link=None,
                             dl_settings=settings)
    token = assert_landed(result.response, "deep-link")
    page = client.get("/lti/deep-link", {"lt": token})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'action="https://moodle.example.edu/dl-return"' in html
    jws = html.split('name="JWT" value="', 1)[1].split('"', 1)[0]
    jwks = client.get("/lti/jwks").json()
    header = jwt.get_unverified_header(jws)
    key = next(jwt.PyJWK(k).key for k in jwks["keys"] if k["kid"] == header["kid"])
    message = jwt.decode(jws, key, algorithms=["RS256"], audience=platform.issuer)
    assert message[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert not message.get(c.DL_CONTENT_ITEMS)
    assert message[c.DL_ERRORMSG] and message[c.DL_ERRORMSG] in unescape(html)
    assert message[c.DL_DATA] == "opaque-7"
    assert message[c.DEPLOYMENT_ID] == "1"


# --- login initiation: hostile input -------------------------------------------------------------------

def login_params(platform: Platform, **overrides) -> dict:
    params = {"iss": platform.issuer, "login_hint": "user-1", "target_link_uri": TOOL_LAUNCH,
              "client_id": platform.client_id, "lti_deployment_id": "1"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.mark.parametrize(("overrides", "status", "message"), [
    pytest.param({"iss": "https://unknown.example"}, 401, b"not registered", id="unknown iss"),
    pytest.param({"client_id": "someone-else"}, 401, b"not registered", id="unknown client"),
    pytest.param({"iss": None}, 400, b"needs iss", id="no iss"),
    pytest.param({"login_hint": None}, 400, b"needs iss", id="no login_hint"),
    pytest.param({"target_link_uri": None}, 400, b"needs iss", id="no target"),
    pytest.param({"iss": "   "}, 400, b"needs iss", id="blank iss"),
    pytest.param({"target_link_uri": "https://evil.example/lti/launch"}, 400, b"not one of this tool",
                 id="foreign target"),
    pytest.param({"target_link_uri": "http://testserver.evil.example/lti/launch"}, 400, b"not one of this tool",
                 id="look-alike host"),
    pytest.param({"target_link_uri": "https://testserver/lti/launch"}, 400, b"not one of this tool",
                 id="other scheme"),
    pytest.param({"target_link_uri": "http://testserver/admin/"}, 400, b"not one of this tool",
                 id="our host, not an LTI route"),
    pytest.param({"target_link_uri": "//evil.example/lti/launch"}, 400, b"not one of this tool",
                 id="scheme-relative"),
    pytest.param({"target_link_uri": "javascript:alert(1)"}, 400, b"not one of this tool", id="javascript"),
    pytest.param({"login_hint": "x" * 1001}, 400, b"too long", id="huge login_hint"),
    pytest.param({"lti_message_hint": "x" * 2001}, 400, b"too long", id="huge lti_message_hint"),
])
def test_hostile_login_initiation(client, deployment, platform, overrides, status, message):
    response = client.post("/lti/login", login_params(platform, **overrides))
    assert response.status_code == status, response.content[:400]
    assert message in response.content
    assert not response.has_header("Location") and not response.has_header("Set-Cookie")
    assert LtiOidcState.objects.count() == 0


@pytest.mark.parametrize(("status_value", "message"), [
    ("pending", b"waiting for an administrator"),
    ("disabled", b"has been disabled"),
])
def test_login_for_an_unapproved_registration(client, deployment, platform, status_value, message):
    LtiRegistration.objects.update(status=status_value)
    response = client.post("/lti/login", login_params(platform))
    assert response.status_code == 403 and message in response.content
    assert LtiOidcState.objects.count() == 0


def test_login_without_client_id_when_the_platform_has_several(client, deployment, platform):
    Platform(issuer=platform.issuer, client_id="client-2", deployment_id="1", jwks_server=platform.jwks_server
             ).register()
    response = client.post("/lti/login", login_params(platform, client_id=None))
    assert response.status_code == 400 and b"must name its client_id" in response.content
    assert client.post("/lti/login", login_params(platform)).status_code == 302


def test_login_by_get_as_open_edx_sends_it(client, deployment, platform):
    response = client.get("/lti/login", login_params(platform))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == [TOOL_LAUNCH] and query["client_id"] == ["client-1"]
    assert query["response_mode"] == ["form_post"] and query["prompt"] == ["none"]
    assert "Partitioned" in response["Set-Cookie"] and "SameSite=None" in response["Set-Cookie"]


def test_login_rejects_other_methods(client, deployment, platform):
    assert client.put("/lti/login").status_code == 405


# --- launch: hostile input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "code"), [
    pytest.param({}, "missing_id_token", id="no id_token"),
    pytest.param({"id_token": "x" * (MAX_ID_TOKEN_BYTES + 1)}, "too_large", id="over 64 KiB"),
    pytest.param({"id_token": "garbage"}, "malformed", id="garbage"),
    pytest.param({"id_token": "a.b.c"}, "malformed", id="three bad parts"),
    pytest.param({"id_token": f"{b64(b'[1]')}.{b64(b'{}')}.sig"}, "malformed", id="header not an object"),
    pytest.param({"id_token": f"{b64(b'{}')}.{b64(b'nope')}.sig"}, "malformed", id="body not JSON"),
    pytest.param({"id_token": "a.b.c.d.e"}, "malformed", id="JWE-shaped"),
])
def test_garbage_id_token(client, deployment, platform, form, code):
    response = client.post("/lti/launch", {**form, "state": "whatever"})
    assert_refused(response, 401, code)


def test_oversized_but_validly_signed_id_token_is_refused(client, deployment, platform):
    padding = "x" * MAX_ID_TOKEN_BYTES
    result = platform.launch(client, custom={"padding": padding})
    assert_refused(result.response, 401, "too_large")


def test_launch_by_get_is_refused(client, deployment, platform):
    assert client.get("/lti/launch").status_code == 405


def test_error_page_escapes_what_the_token_said(client, deployment, platform):
    result = platform.launch(client, mutate=setting_claim(c.MESSAGE_TYPE, "<script>alert(1)</script>"))
    assert_refused(result.response, 401, "unsupported_message")
    assert b"<script>alert(1)</script>" not in result.response.content
