"""Adapter API v1: client credentials and signed JWTs, facts in (each judged on its own), badge status out,
tenants apart, and the OpenAPI document."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.models import Award, CourseFact, LtiContext, LtiDeployment, LtiRegistration, LtiUser
from lti_tool.services.api_clients import api_client_create
from lti_tool.services.criteria import achievement_rules_set, evaluations_run_due

from ..services.criteriakit import course_badge

API = "http://testserver/api/v1"


@pytest.fixture
def ed_key():
    private = Ed25519PrivateKey.generate()
    public = jwt.PyJWK.from_json(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key())).key
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(public, as_dict=True)
    return private, jwk


@pytest.fixture
def bridge(course, ed_key):
    return api_client_create(deployment=course.deployment, name="Moodle bridge", public_jwk=ed_key[1])


def token_for(client, new, **form):
    response = client.post("/api/v1/oauth/token", {"grant_type": "client_credentials",
                                                   "client_id": str(new.client.client_id),
                                                   "client_secret": new.secret, **form})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()["access_token"]


def signed(new, private, *, aud=API, lifetime=60, jti=None, **claims):
    now = int(time.time())
    payload = {"iss": str(new.client.client_id), "sub": str(new.client.client_id), "aud": aud, "iat": now,
               "exp": now + lifetime, "jti": jti or str(uuid.uuid4()), **claims}
    return jwt.encode(payload, private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()), algorithm="EdDSA")


def post_facts(client, bearer, facts):
    return client.post("/api/v1/facts", {"facts": facts}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {bearer}")


def score(sub="4", given=85, context_id="42", **extra):
    return {"context_id": context_id, "user": {"sub": sub, "name": "Sam Student"}, "kind": "score",
            "key": "xblock:block-v1:Org+Course+Run+type@problem+block@quiz1", "value": {"given": given, "maximum": 100},
            **extra}


def test_client_secret_then_facts_then_an_award(client, course, bridge):
    badge = course_badge(course)
    achievement_rules_set(achievement=badge, rules={"type": "score", "item": score()["key"], "threshold": 80,
                                                    "unit": "percent"})
    bearer = token_for(client, bridge)
    response = post_facts(client, bearer, [score()])
    assert response.status_code == 200 and response.json()["results"] == [{"index": 0, "outcome": "created"}]
    sam = LtiUser.objects.get(sub="4")
    assert sam.name == "Sam Student" and sam.claims["name"]["source"] == "api:Moodle bridge"
    assert CourseFact.objects.get().source == "api:Moodle bridge"
    evaluations_run_due()
    assert Award.objects.filter(achievement=badge, learner=sam.learner).exists()
    status = client.get("/api/v1/courses/42/learners/4/badges", HTTP_AUTHORIZATION=f"Bearer {bearer}").json()
    [entry] = status["badges"]
    assert entry["earned"] and entry["credential"].startswith("http://testserver/credentials/")
    assert entry["progress"]["status"] == "met" and entry["progress"]["requirements"][0]["reason"] == \
        "threshold_reached"
    badges = client.get("/api/v1/courses/42/badges", HTTP_AUTHORIZATION=f"Bearer {bearer}").json()["badges"]
    assert badges[0]["criteria"]["requirements"][0]["threshold"] == 80


def test_basic_auth_and_private_key_jwt_at_the_token_endpoint(client, bridge, ed_key):
    basic = base64.b64encode(f"{bridge.client.client_id}:{bridge.secret}".encode()).decode()
    response = client.post("/api/v1/oauth/token", {"grant_type": "client_credentials", "scope": "badges:read"},
                           HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200 and response.json()["scope"] == "badges:read"
    read_only = response.json()["access_token"]
    assert post_facts(client, read_only, [score()]).status_code == 403
    assertion = signed(bridge, ed_key[0], aud=f"{API}/oauth/token")
    response = client.post("/api/v1/oauth/token", {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})
    assert response.status_code == 200
    replay = client.post("/api/v1/oauth/token", {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})
    assert replay.status_code == 401 and "replayed" in replay.json()["error_description"]


def test_a_signed_jwt_can_be_the_bearer_once(client, course, bridge, ed_key):
    bearer = signed(bridge, ed_key[0])
    assert post_facts(client, bearer, [score()]).status_code == 200
    assert post_facts(client, bearer, [score(given=90)]).status_code == 401  # jti used


@pytest.mark.parametrize(("change", "message"), [
    ({"aud": "https://elsewhere.example/api/v1"}, "Audience doesn't match"),
    ({"lifetime": 3600}, "expire within 5 minutes"),
    ({"lifetime": -120}, "expired"),
])
def test_bad_signed_jwts_are_refused(client, course, bridge, ed_key, change, message):
    response = post_facts(client, signed(bridge, ed_key[0], **change), [score()])
    assert response.status_code == 401 and message in response.json()["error_description"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_jwt_signed_with_another_key_is_refused(client, course, bridge):
    response = post_facts(client, signed(bridge, Ed25519PrivateKey.generate()), [score()])
    assert response.status_code == 401 and "Signature verification failed" in response.json()["error_description"]


@pytest.mark.parametrize(("form", "status", "error"), [
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"grant_type": "client_credentials", "client_id": "not-a-uuid", "client_secret": "x"}, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_id": str(uuid.uuid4()), "client_secret": "x"}, 401,
     "invalid_client"),
    ({"grant_type": "client_credentials", "client_secret": "wrong"}, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "scope": "admin:all"}, 400, "invalid_scope"),
])
def test_the_token_endpoint_refuses(client, bridge, form, status, error):
    if "client_id" not in form and form["grant_type"] == "client_credentials":
        form = {"client_id": str(bridge.client.client_id), "client_secret": form.get("client_secret",
                                                                                      bridge.secret), **form}
    response = client.post("/api/v1/oauth/token", form)
    assert response.status_code == status and response.json()["error"] == error


def test_each_fact_is_judged_on_its_own(client, course, bridge):
    bearer = token_for(client, bridge)
    response = post_facts(client, bearer, [
        score(), score(given=-5), score(kind="rumour"), {"context_id": "42", "user": {"sub": "4"}},
        score(observed_at="2999-01-01T00:00:00Z"), score(user={"name": "no sub"}), score(weight=3), "nope",
        score(observed_at="yesterday"), score()])
    assert response.status_code == 207
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == ["created", "rejected", "rejected", "rejected", "rejected",
                                                       "rejected", "rejected", "rejected", "rejected", "duplicate"]
    assert "must not be negative" in body["results"][1]["error"] and body["rejected"] == 8
    assert "in the future" in body["results"][4]["error"]
    assert CourseFact.objects.count() == 1


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"facts": []}', "application/json", 400),
    (b'{"facts": [], "more": 1}', "application/json", 400),
    (b"facts=1", "application/x-www-form-urlencoded", 415),
    (b'{"facts": [' + b'{"x": 1},' * 300_000 + b'{"x": 1}]}', "application/json", 413),
])
def test_malformed_bodies_are_refused(client, course, bridge, body, content_type, status):
    bearer = token_for(client, bridge)
    response = client.generic("POST", "/api/v1/facts", body, content_type=content_type,
                              HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert response.status_code == status, response.content[:300]


def test_tenants_are_apart(client, course, bridge, issuer):
    other_registration = LtiRegistration.objects.create(
        platform=course.deployment.registration.platform, client_id="c2", status="active",
        auth_login_url="https://moodle.example.edu/auth", key_set_url="https://moodle.example.edu/jwks")
    other_deployment = LtiDeployment.objects.create(registration=other_registration, deployment_id="9",
                                                    status="active", issuer=issuer, name="Other")
    other = api_client_create(deployment=other_deployment, name="Other bridge")
    post_facts(client, token_for(client, bridge), [score()])
    intruder = token_for(client, other)
    assert client.get("/api/v1/courses/42/badges", HTTP_AUTHORIZATION=f"Bearer {intruder}").status_code == 404
    assert client.get("/api/v1/courses/42/learners/4/badges",
                      HTTP_AUTHORIZATION=f"Bearer {intruder}").status_code == 404
    post_facts(client, intruder, [score(given=1)])  # lands in the other tenant's own course "42"
    assert LtiContext.objects.filter(context_id="42").count() == 2
    assert CourseFact.objects.get(context=course).value["given"] == 85


def test_a_disabled_client_or_deployment_loses_access(client, course, bridge):
    bearer = token_for(client, bridge)
    course.deployment.status = LtiDeployment.Status.DISABLED
    course.deployment.save()
    assert post_facts(client, bearer, [score()]).status_code == 401


def test_no_token_no_entry(client, course):
    assert client.get("/api/v1/courses/42/badges").status_code == 401
    assert client.get("/api/v1/courses/42/badges", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_the_openapi_document_describes_every_route(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/oauth/token", "/facts", "/courses/{context_id}/badges",
                                      "/courses/{context_id}/learners/{sub}/badges", "/verify"}
    assert document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == \
        f"{API}/oauth/token"


@pytest.mark.parametrize("kind", ["evidence", "grant", "badge"])
def test_adapters_cannot_report_the_tools_own_records(client, course, bridge, kind):
    response = post_facts(client, token_for(client, bridge), [score(kind=kind, value={"state": "approved"})])
    assert response.status_code == 207 and "kind must be one of" in response.json()["results"][0]["error"]
    assert not CourseFact.objects.exists()


def test_adapters_do_not_rename_known_users(client, course, bridge):
    post_facts(client, token_for(client, bridge), [score()])
    post_facts(client, token_for(client, bridge), [score(user={"sub": "4", "name": "Someone Else"}, given=90)])
    assert LtiUser.objects.get(sub="4").name == "Sam Student"
