"""Platform profiles (research lti.md §2.5, §6.5): each LMS's real quirks, end to end through our views.

* Moodle 5.1: the claim sets are the recorded id_tokens (tests/fixtures/moodle/lti), re-signed
  with the test platform's key (we do not have Moodle's), with their 60 s lifetime; the original
  tokens are also verified against Moodle's recorded JWKS with our key loading.
* Canvas: numeric-string client_id, ``N:hash`` deployment ids, OIDC on the sso host with
  ``lti_storage_target=post_message_forwarding``, JWKS on another host than the issuer.
* Open edX (lti-consumer-xblock): deployment_id "1", JWK without ``alg``, ``#None`` filler roles,
  course staff sent as the institution Administrator, no ``product_family_code``.
* Brightspace: GUID client and deployment ids, keys rotated about hourly.

Each profile runs a learner and an instructor launch to the landing page and checks the tool roles
and the identity recorded with its provenance (value, deployment, context, time).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.utils import timezone

from lti_tool.lti import claims as c
from lti_tool.lti.platform_keys import platform_public_key
from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiMembership,
    LtiPlatform,
    LtiPlatformKeySet,
    LtiResourceLink,
    LtiUser,
)
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.views.lti import STORAGE_PROOF_FIELD
from tests.fixtures import MOODLE_FIXTURES

from .platforms import Platform, complete_storage_check, json_script, reason_code, storage_check_form

MOODLE = MOODLE_FIXTURES / "lti"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
TOOL_LAUNCH = "http://testserver/lti/launch"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((MOODLE / name).read_text())


def moodle_claims(name: str) -> Callable[[dict[str, Any]], None]:
    """Replace lti1p3platform's claims by a recorded Moodle id_token (fresh nonce, target and times)."""
    def mutate(claims: dict[str, Any]) -> None:
        nonce, target = claims["nonce"], claims[c.TARGET_LINK_URI]
        claims.clear()
        claims.update(recorded(f"id_token.{name}.json"))
        now = int(time.time())
        claims.update(nonce=nonce, iat=now, exp=now + 60)  # Moodle's lifetime: 60 s
        claims[c.TARGET_LINK_URI] = target
    return mutate


def merge(*mutations: Callable[[dict[str, Any]], None] | None) -> Callable[[dict[str, Any]], None]:
    def mutate(claims: dict[str, Any]) -> None:
        for mutation in mutations:
            if mutation:
                mutation(claims)
    return mutate


def extra(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.update(values)


@dataclass
class Person:
    sub: str
    roles: list[str]
    tool_roles: set[str]
    name: str
    email: str
    sourcedid: str = ""
    mutate: Callable[[dict[str, Any]], None] | None = None
    login_extra: dict[str, str] = field(default_factory=dict)
    launch_extra: dict[str, str] = field(default_factory=dict)
    cookie: bool = True  # False: third-party cookies blocked, the launch goes through platform storage


@dataclass
class Profile:
    name: str
    issuer: str
    client_id: str
    deployment_id: str
    family: str
    context_id: str
    learner: Person
    instructor: Person
    authorization_url: str = ""
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    jwk_alg: bool = True

    def platform(self, jwks_server) -> Platform:
        platform = Platform(issuer=self.issuer, client_id=self.client_id, deployment_id=self.deployment_id,
                            jwks_server=jwks_server, family=self.family, kid=self.kid,
                            authorization_url=self.authorization_url)
        platform.publish(with_alg=self.jwk_alg)
        return platform


MOODLE_PROFILE = Profile(
    name="moodle", issuer="http://127.0.0.1:8500", client_id="YQt7dOrmKzMSiIS", deployment_id="1", family="moodle",
    context_id="2", kid="121ca92c3433b919028b",
    learner=Person(sub="4", roles=[], tool_roles={"learner"}, name="Sam Student", email="student1@example.org",
                   mutate=moodle_claims("student_resource_link"),
                   login_extra={"lti_message_hint": '{"cmid":2,"launchid":"ltilaunch1_1423857371"}'}),
    instructor=Person(sub="3", roles=[], tool_roles={"instructor", "assessor"}, name="Tina Teacher",
                      email="teacher1@example.org", mutate=moodle_claims("teacher_resource_link"),
                      login_extra={"lti_message_hint": '{"cmid":2,"launchid":"ltilaunch1_92597370"}'}))

CANVAS_ROLES_LEARNER = [LIS + "institution/person#Student", LIS + "membership#Learner", LIS + "system/person#User"]
CANVAS_ROLES_TEACHER = [LIS + "institution/person#Instructor", LIS + "membership#Instructor",
                        LIS + "system/person#User"]
CANVAS_PROFILE = Profile(
    name="canvas", issuer="https://canvas.instructure.com", client_id="10000000000042",
    deployment_id="5:d3a2504bba5184799a38f141e8df2335cfa8206d", family="canvas", context_id="4dde05e8ca1973bcca9bf",
    authorization_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
    learner=Person(sub="535fa085-f858-4b59-ac7e-8d1ab6ec8e62", roles=CANVAS_ROLES_LEARNER, tool_roles={"learner"},
                   name="Ada Lovelace", email="ada@canvas.example.edu", sourcedid="SIS-1815",
                   login_extra={"lti_storage_target": "post_message_forwarding", "canvas_region": "us-east-1",
                                "canvas_environment": "prod"},
                   launch_extra={"lti_storage_target": "post_message_forwarding"}, cookie=False,
                   mutate=extra(**{c.LIS: {"person_sourcedid": "SIS-1815"},
                                   "https://www.instructure.com/placement": "course_navigation"})),
    instructor=Person(sub="86157096483e6b3a50bfedc6bac902c0b20a824f", roles=CANVAS_ROLES_TEACHER,
                      tool_roles={"instructor", "assessor"}, name="Grace Hopper", email="grace@canvas.example.edu",
                      sourcedid="SIS-1906", mutate=extra(**{c.LIS: {"person_sourcedid": "SIS-1906"}})))

OPEN_EDX_NONE = [LIS + "system/person#None", LIS + "institution/person#None"]
OPEN_EDX_PLATFORM_CLAIM = {"guid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "Open edX Test")), "name": "Open edX Test"}
OPEN_EDX_PROFILE = Profile(
    name="open-edx", issuer="https://courses.openedx.example", client_id="2a8c5e2f-6d47-4bb5-a1b1-5b3f1f1e8c01",
    deployment_id="1", family="open-edx", context_id="course-v1:Accolade+B101+2026", jwk_alg=False,
    learner=Person(sub="f2c7b9b6e1b84b7c9c6b3b6b0f9f9a11", roles=[*OPEN_EDX_NONE, LIS + "membership#Learner"],
                   tool_roles={"learner"}, name="Lin Learner", email="lin@openedx.example",
                   mutate=extra(**{c.TOOL_PLATFORM: OPEN_EDX_PLATFORM_CLAIM})),
    instructor=Person(sub="7d0c6a33a4b74e4d8d1b9a0c3e2f5a66",
                      roles=[LIS + "system/person#None", LIS + "institution/person#Administrator"],
                      tool_roles={"instructor", "assessor"}, name="Sam Staff", email="staff@openedx.example",
                      mutate=extra(**{c.TOOL_PLATFORM: OPEN_EDX_PLATFORM_CLAIM})))

BRIGHTSPACE_PROFILE = Profile(
    name="brightspace", issuer="https://school.brightspace.com", client_id="0f7c2b8e-54a3-4c4e-9a77-0d2c1f3b9e42",
    deployment_id="a3e9f6c2-1b7d-4e0a-9f4c-8d2b6e1c5a73", family="brightspace", context_id="6606",
    learner=Person(sub="d4b1c0e8-2f3a-4b5c-8d9e-0f1a2b3c4d5e_169", roles=[LIS + "institution/person#Student",
                                                                       LIS + "membership#Learner"],
                   tool_roles={"learner"}, name="Bea Brightspace", email="bea@school.example",
                   mutate=extra(**{c.TOOL_PLATFORM: {"product_family_code": "desire2learn", "version": "20.26.1"}})),
    instructor=Person(sub="d4b1c0e8-2f3a-4b5c-8d9e-0f1a2b3c4d5e_170",
                      roles=[LIS + "institution/person#Instructor", LIS + "membership#Instructor"],
                      tool_roles={"instructor", "assessor"}, name="Ian Instructor", email="ian@school.example",
                      mutate=extra(**{c.TOOL_PLATFORM: {"product_family_code": "desire2learn",
                                                        "version": "20.26.1"}})))

PROFILES = [MOODLE_PROFILE, CANVAS_PROFILE, OPEN_EDX_PROFILE, BRIGHTSPACE_PROFILE]


@pytest.fixture
def tenant(request, issuer, jwks_server):
    """Register the profile's platform with our tool; return (profile, platform, deployment)."""
    profile: Profile = request.param
    platform = profile.platform(jwks_server)
    registration = platform.register()
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id=profile.deployment_id,
                                              status="active", issuer=issuer, name=f"{profile.name} tenant")
    return profile, platform, deployment


def with_badge(badge) -> Callable[[dict[str, Any]], None]:
    """Add the custom parameter a Deep Linking content item of ours carries (``accolade_badge``)."""
    def mutate(claims: dict[str, Any]) -> None:
        claims[c.CUSTOM] = {**claims.get(c.CUSTOM, {}), "accolade_badge": str(badge.uuid)}
    return mutate


def launch_as(client, platform: Platform, person: Person, *, badge=None, **options):
    return platform.launch(client, sub=person.sub, roles=person.roles, name=person.name, email=person.email,
                           mutate=merge(person.mutate, options.pop("mutate", None), badge and with_badge(badge)),
                           login_extra=person.login_extra, launch_extra=person.launch_extra, cookie=person.cookie,
                           context={"id": options.pop("context_id"), "title": "Badges 101", "label": "B101"},
                           **options)


def land(client, result, page: str = "badge"):
    """Follow a launch to its page: redirected at once (state cookie) or after the platform-storage check."""
    response = result.response
    if response.status_code == 200 and STORAGE_PROOF_FIELD in storage_check_form(response.content.decode()):
        response = complete_storage_check(client, result.login, response)
    assert response.status_code == 303, response.content[:600]
    next_url = response["Location"]
    assert next_url.startswith(f"http://testserver/lti/{page}?lt="), next_url
    landing = client.get(next_url.removeprefix("http://testserver"))
    assert landing.status_code == 200, landing.content[:600]
    return parse_qs(urlsplit(next_url).query)["lt"][0], landing


def assert_identity(profile: Profile, person: Person, deployment: LtiDeployment) -> LtiUser:
    user = LtiUser.objects.get(platform__issuer=profile.issuer, sub=person.sub)
    assert user.name == person.name and user.email == person.email
    assert user.lis_person_sourcedid == person.sourcedid
    expected = {"name": person.name, "email": person.email}
    if person.sourcedid:
        expected["lis_person_sourcedid"] = person.sourcedid
    else:
        assert "lis_person_sourcedid" not in user.claims  # an empty value is not an identity
    for name, value in expected.items():
        recorded_claim = user.claims[name]
        assert recorded_claim["value"] == value
        assert recorded_claim["deployment"] == str(deployment.uuid)
        assert recorded_claim["context"] == profile.context_id
        assert timezone.now() - datetime.fromisoformat(recorded_claim["at"]) < timedelta(minutes=1)
    assert user.learner.display_name == person.name
    return user


@pytest.mark.parametrize("tenant", PROFILES, ids=[p.name for p in PROFILES], indirect=True)
@pytest.mark.parametrize("who", ["learner", "instructor"])
def test_profile_launch_end_to_end(client, tenant, who):
    profile, platform, deployment = tenant
    person: Person = getattr(profile, who)
    course = LtiContext.objects.create(deployment=deployment, context_id=profile.context_id, title="Badges 101")
    badge = achievement_create_in_course(deployment=deployment, context=course, name=f"{profile.name} finisher",
                                         description="Finished the course.", criteria="Pass every module.")
    result = launch_as(client, platform, person, context_id=profile.context_id, badge=badge)
    _token, landing = land(client, result)
    assert badge.name.encode() in landing.content
    if "instructor" in person.tool_roles:
        assert b"Course roster" in landing.content and b"Not earned yet" not in landing.content
    else:
        assert b"Not earned yet" in landing.content and b"Course roster" not in landing.content
    launch = LtiLaunch.objects.get()
    assert launch.resource_link.achievement == badge
    assert launch.deployment == deployment
    assert set(launch.roles) == person.tool_roles
    assert launch.user == assert_identity(profile, person, deployment)
    membership = LtiMembership.objects.get(user=launch.user)
    assert membership.context.context_id == profile.context_id and membership.context.deployment == deployment
    assert set(membership.roles) == person.tool_roles
    assert membership.lti_roles == result.claims[c.ROLES]
    assert LtiPlatform.objects.get(issuer=profile.issuer).family == profile.family


# --- Moodle -----------------------------------------------------------------------------------------------

moodle = pytest.mark.parametrize("tenant", [MOODLE_PROFILE], ids=["moodle"], indirect=True)


@moodle
def test_moodle_keeps_type_id_on_the_line_item_url(client, tenant):
    profile, platform, _deployment = tenant
    land(client, launch_as(client, platform, profile.learner, context_id="2"))
    link = LtiResourceLink.objects.get(resource_link_id="1")
    assert link.lineitem_url == "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"
    assert link.title == "Harness LTI activity"
    assert link.context == LtiContext.objects.get(context_id="2", title="LTI Harness Course", label="LTI101")
    kept = LtiLaunch.objects.get().claims[c.AGS_ENDPOINT]
    assert kept["lineitems"] == "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1"


@moodle
def test_an_overlong_line_item_url_is_not_cut(client, tenant, caplog):
    """A line item URL longer than we store is dropped, not truncated into some other line item's URL."""
    profile, platform, _deployment = tenant

    def long_lineitem(claims):
        claims[c.AGS_ENDPOINT]["lineitem"] += "&pad=" + "x" * 1000

    land(client, launch_as(client, platform, profile.learner, context_id="2", mutate=long_lineitem))
    assert LtiResourceLink.objects.get(resource_link_id="1").lineitem_url == ""
    assert "line item URL of" in caplog.text


@moodle
def test_moodle_two_bound_line_items_leave_no_single_line_item(client, tenant):
    profile, platform, _deployment = tenant
    two_bound = moodle_claims("student_resource_link.two_lineitems_bound")
    land(client, launch_as(client, platform, profile.learner, mutate=two_bound, context_id="2"))
    assert LtiResourceLink.objects.get(resource_link_id="1").lineitem_url == ""
    # One line item again: the claim is back and recorded.
    land(client, launch_as(client, platform, profile.learner, context_id="2"))
    link = LtiResourceLink.objects.get(resource_link_id="1")
    assert link.lineitem_url.endswith("/lineitems/2/lineitem?type_id=1")
    # A second line item bound later: the stale single line item must not stay on the link.
    land(client, launch_as(client, platform, profile.learner, mutate=two_bound, context_id="2"))
    assert LtiResourceLink.objects.get(resource_link_id="1").lineitem_url == ""


@moodle
def test_moodle_deep_linking_request_opens_the_picker(client, tenant):
    profile, platform, deployment = tenant
    result = launch_as(client, platform, profile.instructor, mutate=moodle_claims("teacher_deep_linking_request"),
                       context_id="2", message_type="LtiDeepLinkingRequest", resource_link=None)
    _token, picker = land(client, result, "deep-link")
    assert b"LTI Harness Course" in picker.content
    launch = LtiLaunch.objects.get()
    assert launch.resource_link is None and launch.deployment == deployment
    assert launch.claims[c.DL_SETTINGS]["deep_link_return_url"].startswith(
        "http://127.0.0.1:8500/mod/lti/contentitem_return.php")


@moodle
def test_moodle_sixty_second_tokens_expire(client, tenant):
    profile, platform, _deployment = tenant

    def expired(claims):
        now = int(time.time())
        claims.update(iat=now - 150, exp=now - 90)  # 60 s lifetime, past the 60 s leeway
    result = launch_as(client, platform, profile.learner, mutate=expired, context_id="2")
    assert result.response.status_code == 401 and reason_code(result.response) == "expired"


@pytest.mark.parametrize("name", ["student_resource_link", "teacher_resource_link", "teacher_deep_linking_request",
                                  "student_resource_link.two_lineitems_bound"])
def test_moodle_recorded_id_tokens_verify_with_our_key_loading(db, jwks_server, name):
    platform = Platform(issuer=MOODLE_PROFILE.issuer, client_id=MOODLE_PROFILE.client_id, deployment_id="1",
                        jwks_server=jwks_server)
    jwks_server.jwks = recorded("platform_jwks.json")  # Moodle's real key set, not the test platform's
    registration = platform.register()
    form = recorded(f"launch_form_post.{name}.json")["form"]
    header = jwt.get_unverified_header(form["id_token"])
    assert header == {"typ": "JWT", "alg": "RS256", "kid": "121ca92c3433b919028b"}
    key = platform_public_key(registration, header["kid"])
    claims = jwt.decode(form["id_token"], key, algorithms=["RS256"], audience=MOODLE_PROFILE.client_id,
                        issuer=MOODLE_PROFILE.issuer, options={"verify_exp": False})
    assert claims == recorded(f"id_token.{name}.json")
    assert claims["exp"] - claims["iat"] == 60
    assert LtiPlatformKeySet.objects.get(registration=registration).keys == recorded("platform_jwks.json")


def test_moodle_recorded_launch_post_is_verified_then_refused_as_expired(client, db, jwks_server):
    """The real Moodle form post reaches the time check only after its signature verified."""
    platform = Platform(issuer=MOODLE_PROFILE.issuer, client_id=MOODLE_PROFILE.client_id, deployment_id="1",
                        jwks_server=jwks_server)
    jwks_server.jwks = recorded("platform_jwks.json")
    platform.register()
    form = recorded("launch_form_post.student_resource_link.json")["form"]
    response = client.post("/lti/launch", form)
    assert response.status_code == 401 and reason_code(response) == "expired"
    tampered = form["id_token"][:-4] + ("AAAA" if not form["id_token"].endswith("AAAA") else "BBBB")
    response = client.post("/lti/launch", {**form, "id_token": tampered})
    assert response.status_code == 401 and reason_code(response) == "bad_signature"


# --- Canvas -----------------------------------------------------------------------------------------------

canvas = pytest.mark.parametrize("tenant", [CANVAS_PROFILE], ids=["canvas"], indirect=True)


@canvas
def test_canvas_login_uses_platform_storage_on_the_sso_host(client, tenant):
    profile, platform, _deployment = tenant
    login, query = platform.start_login(client, sub=profile.learner.sub, login_extra=profile.learner.login_extra)
    assert login.status_code == 200
    assert set(login.cookies) <= {f"lti-state-{query['state']}"}
    page = login.content.decode()
    assert json_script(page, "lti-target") == "post_message_forwarding"
    assert json_script(page, "lti-origin") == "https://sso.canvaslms.com"
    assert json_script(page, "lti-auth").startswith("https://sso.canvaslms.com/api/lti/authorize_redirect?")
    assert query["client_id"] == "10000000000042" and query["redirect_uri"] == TOOL_LAUNCH


@canvas
def test_canvas_jwks_lives_on_another_host_than_the_issuer(client, tenant):
    profile, platform, deployment = tenant
    key_set_url = deployment.registration.key_set_url
    assert urlsplit(key_set_url).netloc != urlsplit(profile.issuer).netloc
    land(client, launch_as(client, platform, profile.instructor, context_id=profile.context_id))
    assert platform.jwks_server.fetches == 1


@canvas
def test_canvas_deployments_are_separate_tenants(client, tenant, issuer):
    profile, platform, deployment = tenant
    other_id = "7:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    other = LtiDeployment.objects.create(registration=deployment.registration, deployment_id=other_id,
                                         status="active", issuer=issuer)
    land(client, launch_as(client, platform, profile.instructor, context_id="course-x"))
    land(client, launch_as(client, platform, profile.instructor, context_id="course-x",
                           mutate=extra(**{c.DEPLOYMENT_ID: other_id})))
    # The same Canvas course id seen through two deployments is two courses, one per tenant.
    assert sorted(LtiContext.objects.filter(context_id="course-x").values_list("deployment_id", flat=True)) == \
        sorted([deployment.pk, other.pk])


# --- Open edX ----------------------------------------------------------------------------------------------

open_edx = pytest.mark.parametrize("tenant", [OPEN_EDX_PROFILE], ids=["open-edx"], indirect=True)


@open_edx
def test_open_edx_publishes_its_key_without_alg(client, tenant):
    profile, platform, _deployment = tenant
    assert "alg" not in platform.jwks_server.jwks["keys"][0]
    land(client, launch_as(client, platform, profile.learner, context_id=profile.context_id))


@open_edx
def test_open_edx_staff_is_instructor_not_admin(client, tenant):
    profile, platform, _deployment = tenant
    land(client, launch_as(client, platform, profile.instructor, context_id=profile.context_id))
    launch = LtiLaunch.objects.get()
    assert "admin" not in launch.roles and "instructor" in launch.roles
    # Without a product_family_code claim the family comes from the registration (set by the admin).
    assert c.TOOL_PLATFORM in launch.claims and "product_family_code" not in launch.claims[c.TOOL_PLATFORM]


@open_edx
def test_open_edx_every_block_shares_deployment_one_but_not_its_links(client, tenant):
    profile, platform, deployment = tenant
    for block in ("block-v1:Accolade+B101+2026+type@lti_consumer+block@a",
                  "block-v1:Accolade+B101+2026+type@lti_consumer+block@b"):
        land(client, launch_as(client, platform, profile.learner, context_id=profile.context_id,
                               resource_link=block))
    assert LtiResourceLink.objects.filter(deployment=deployment).count() == 2
    assert LtiDeployment.objects.filter(registration=deployment.registration).count() == 1


# --- Brightspace ----------------------------------------------------------------------------------------------

brightspace = pytest.mark.parametrize("tenant", [BRIGHTSPACE_PROFILE], ids=["brightspace"], indirect=True)


@brightspace
def test_brightspace_hourly_key_rotation_is_followed_by_refetch(client, tenant):
    profile, platform, _deployment = tenant
    land(client, launch_as(client, platform, profile.learner, context_id=profile.context_id))
    assert platform.jwks_server.fetches == 1
    for hour in (1, 2, 3):
        platform.rotate()
        # An hour has passed since the last refetch: the rate limit does not hold the new key back.
        LtiPlatformKeySet.objects.update(last_refetch_at=timezone.now() - timedelta(hours=1))
        land(client, launch_as(client, platform, profile.instructor, context_id=profile.context_id))
        assert platform.jwks_server.fetches == 1 + hour
    assert LtiPlatform.objects.get(issuer=profile.issuer).family == "brightspace"


@brightspace
def test_brightspace_guid_deployment_must_match_exactly(client, tenant):
    profile, platform, _deployment = tenant
    upper = profile.deployment_id.upper()
    result = launch_as(client, platform, profile.learner, context_id=profile.context_id,
                       mutate=extra(**{c.DEPLOYMENT_ID: upper}))
    assert result.response.status_code == 403 and reason_code(result.response) == "deployment_pending"
    assert LtiDeployment.objects.get(deployment_id=upper).status == "pending"
