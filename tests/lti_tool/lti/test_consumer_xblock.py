"""Launches built by Open edX's own LTI 1.3 code: PyPI lti-consumer-xblock 11.4.4 (research lti.md §6.2).

``lti_consumer.lti_1p3.consumer.LtiAdvantageConsumer`` runs outside edx-platform with a small Django
setup: ``PLATFORM_NAME`` (the tool_platform claim) and a cache (``TieredCache`` keeps the launch data
between the login and the launch; Django's default local-memory cache does). It signs with a JWK that
has no ``alg``, sends ``deployment_id`` "1", a GET login initiation, the ``person#None`` filler roles,
and ``tool_platform`` without ``product_family_code``; its Deep Linking checks our response with
``check_and_decode_deep_linking_token``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from lti_consumer.data import Lti1p3LaunchData
from lti_consumer.lti_1p3.constants import LTI_1P3_CONTEXT_TYPE
from lti_consumer.lti_1p3.consumer import LtiAdvantageConsumer

from lti_tool.lti import claims as c
from lti_tool.models import Achievement, LtiDeployment, LtiLaunch, LtiMembership, LtiPlatform, LtiUser
from lti_tool.services.lti_keys import lti_tool_key_active

from .platforms import Platform, form_fields

pytestmark = pytest.mark.interop

ISSUER = "https://courses.openedx.example"
CLIENT_ID = "b7f1b7b6-7d2c-4f5e-9a57-2d9e0b1c3a11"
LAUNCH_URL = "http://testserver/lti/launch"
COURSE = "course-v1:Accolade+B101+2026"
BLOCK = "block-v1:Accolade+B101+2026+type@lti_consumer+block@6f1c0d"
DL_RETURN = f"{ISSUER}/api/lti_consumer/v1/lti/7/lti-dl/response"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.fixture
def open_edx(settings, jwks_server, issuer):
    """An Open edX course with one LTI block configured for our tool; returns a consumer factory."""
    settings.PLATFORM_NAME = "Accolade Test edX"
    platform = Platform(issuer=ISSUER, client_id=CLIENT_ID, deployment_id="1", jwks_server=jwks_server,
                        family="open-edx")
    registration = platform.register()
    LtiDeployment.objects.create(registration=registration, deployment_id="1", status="active", issuer=issuer)
    tool_key = lti_tool_key_active()

    def consumer() -> LtiAdvantageConsumer:
        made = LtiAdvantageConsumer(
            iss=ISSUER, lti_oidc_url="http://testserver/lti/login", lti_launch_url=LAUNCH_URL, client_id=CLIENT_ID,
            deployment_id="1", rsa_key=platform.private_pem, rsa_key_id=platform.kid, redirect_uris=[LAUNCH_URL],
            tool_key=tool_key.public_key_pem)
        jwks_server.jwks = made.get_public_keyset()  # what Open edX publishes: no "alg"
        return made

    return consumer


def open_edx_launch(client, consumer: LtiAdvantageConsumer, *, user_id: str, role: str, name: str, email: str,
                    message_type: str = "LtiResourceLinkRequest", custom: dict[str, str] | None = None):
    """Run the block's launch the way the LMS does: preflight URL (GET) → our login → the consumer's id_token."""
    launch_data = Lti1p3LaunchData(user_id=user_id, user_role=role, config_id="7", resource_link_id=BLOCK,
                                   message_type=message_type, context_id=COURSE,
                                   context_type=[LTI_1P3_CONTEXT_TYPE.course_offering],
                                   context_title="Badges 101", context_label="B101")
    preflight = urlsplit(consumer.prepare_preflight_url(launch_data))
    login = client.get(preflight.path, dict(parse_qsl(preflight.query)))
    assert login.status_code == 302, login.content[:600]
    authorization = dict(parse_qsl(urlsplit(login["Location"]).query))
    consumer.set_user_data(user_id=user_id, role=role, full_name=name, email_address=email,
                           preferred_username=name.split()[0].lower())
    consumer.set_resource_link_claim(BLOCK, title="Earn the badge")
    consumer.set_context_claim(COURSE, context_types=[LTI_1P3_CONTEXT_TYPE.course_offering],
                               context_title="Badges 101", context_label="B101")
    consumer.set_launch_presentation_claim(document_target="iframe")
    if custom:
        consumer.set_custom_parameters(custom)
    consumer.enable_ags(lineitems_url=f"{ISSUER}/api/lti_consumer/v1/lti/7/lti-ags",
                        lineitem_url=f"{ISSUER}/api/lti_consumer/v1/lti/7/lti-ags/3")
    form = consumer.generate_launch_request(authorization)
    name_, _, rest = login["Set-Cookie"].partition("=")
    client.cookies[name_] = rest.split(";", 1)[0]
    return client.post("/lti/launch", form), form


def follow(client, response, page: str):
    assert response.status_code == 303, response.content[:600]
    assert response["Location"].startswith(f"http://testserver/lti/{page}?lt=")
    landing = client.get(response["Location"].removeprefix("http://testserver"))
    assert landing.status_code == 200, landing.content[:600]
    return landing


def test_consumer_jwk_has_no_alg(open_edx):
    keys = open_edx().get_public_keyset()["keys"]
    assert len(keys) == 1 and "alg" not in keys[0] and keys[0]["kty"] == "RSA"


def test_learner_launch(client, open_edx):
    response, _form = open_edx_launch(client, open_edx(), user_id="a1b2c3", role="student", name="Lin Learner",
                                     email="lin@openedx.example")
    landing = follow(client, response, "badge")
    assert b"No badge here yet" in landing.content
    launch = LtiLaunch.objects.get()
    assert launch.roles == ["learner"]
    assert launch.deployment.deployment_id == "1" and launch.resource_link.resource_link_id == BLOCK
    assert launch.resource_link.lineitem_url == f"{ISSUER}/api/lti_consumer/v1/lti/7/lti-ags/3"
    user = LtiUser.objects.get(sub="a1b2c3")
    assert user.claims["email"]["value"] == "lin@openedx.example" and user.claims["email"]["context"] == COURSE
    membership = LtiMembership.objects.get(user=user)
    # The consumer's own role map: student → person#None fillers + membership#Learner.
    assert set(membership.lti_roles) == {LIS + "system/person#None", LIS + "institution/person#None",
                                         LIS + "membership#Learner"}
    assert launch.claims[c.TOOL_PLATFORM] == {"guid": launch.claims[c.TOOL_PLATFORM]["guid"],
                                              "name": "Accolade Test edX"}
    # No product_family_code: the family the admin chose at registration stays.
    assert LtiPlatform.objects.get(issuer=ISSUER).family == "open-edx"


@pytest.mark.parametrize(("role", "expected", "lti_roles"), [
    pytest.param("staff", ["assessor", "instructor"], {LIS + "membership#Instructor"}, id="course staff"),
    pytest.param("instructor", ["assessor", "instructor"], {LIS + "membership#Administrator",
                                                            LIS + "membership#Instructor"}, id="course instructor"),
    pytest.param("global_staff", ["admin", "assessor", "instructor"], {LIS + "system/person#Administrator",
                                                                      LIS + "institution/person#Administrator"},
                 id="global staff"),
    pytest.param("Community TA", ["assessor", "learner"],
                 {LIS + "membership/Instructor#TeachingAssistant", LIS + "membership#Learner"}, id="community TA"),
])
def test_staff_launches(client, open_edx, role, expected, lti_roles):
    response, _form = open_edx_launch(client, open_edx(), user_id="s9", role=role, name="Sam Staff",
                                      email="staff@openedx.example")
    follow(client, response, "badge")
    launch = LtiLaunch.objects.get()
    assert launch.roles == expected
    assert lti_roles <= set(LtiMembership.objects.get(user=launch.user).lti_roles)


def test_deep_linking_round_trip(client, open_edx):
    consumer = open_edx()
    consumer.enable_deep_linking(LAUNCH_URL, DL_RETURN)
    response, _form = open_edx_launch(client, consumer, user_id="s9", role="instructor", name="Sam Staff",
                                     email="staff@openedx.example", message_type="LtiDeepLinkingRequest")
    picker = follow(client, response, "deep-link")
    assert b"Badges 101" in picker.content
    launch = LtiLaunch.objects.get()
    assert launch.message_type == c.DEEP_LINKING_REQUEST and launch.resource_link is None
    assert launch.claims[c.DL_SETTINGS]["accept_types"] == ["ltiResourceLink", "link", "html", "image"]
    token = parse_qs(urlsplit(response["Location"]).query)["lt"][0]
    created = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "edX Explorer",
                                             "description": "Explored the course.", "criteria": "Finish unit 1."})
    assert created.status_code == 200, created.content[:600]
    action, fields = form_fields(created.content.decode(), "dl-return")
    assert action == DL_RETURN
    # Open edX's own check of our response: signature with our tool key, message type, content types.
    items = consumer.check_and_decode_deep_linking_token(fields["JWT"])
    badge = Achievement.objects.get(name="edX Explorer")
    assert len(items) == 1 and items[0]["type"] == "ltiResourceLink"
    assert items[0]["url"] == LAUNCH_URL and items[0]["custom"] == {"accolade_badge": str(badge.uuid)}
    # Open edX then launches the block with the item's URL and custom parameters.
    learner_consumer = open_edx()
    learner_consumer.set_dl_content_launch_parameters(url=items[0]["url"], custom=items[0]["custom"])
    response, _form = open_edx_launch(client, learner_consumer, user_id="a1b2c3", role="student",
                                      name="Lin Learner", email="lin@openedx.example")
    landing = follow(client, response, "badge")
    assert b"edX Explorer" in landing.content and b"Not earned yet" in landing.content
    assert LtiLaunch.objects.get(user__sub="a1b2c3").resource_link.achievement == badge
