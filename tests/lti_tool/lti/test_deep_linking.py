"""Deep Linking 2.0: an instructor picks or creates a course badge and the platform gets a content item.

Every response is checked by code we did not write: lti1p3platform's ``validate_deeplinking_resp``
(fed our /lti/jwks) and, for an Open edX-shaped exchange, lti-consumer-xblock's
``check_and_decode_deep_linking_token`` (it fetches /lti/jwks from the running tool). The Moodle test
replays what Moodle 5.1 made of a real pylti1p3 response (fixtures) and applies the same rules to ours.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import jwt
import pytest
from django.utils import timezone

from lti_tool.lti import claims as c
from lti_tool.lti import deep_linking as dl
from lti_tool.models import Achievement, LtiLaunch, LtiResourceLink, StoredImage
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.lti_launches import BADGE_PARAMETER
from tests.core.baking.baking_testkit import make_png
from tests.fixtures import MOODLE_FIXTURES

from .platforms import INSTRUCTOR, LEARNER, LIS, JwksServer, Platform, _Conf

MOODLE = MOODLE_FIXTURES / "lti"
TA = LIS + "membership/Instructor#TeachingAssistant"
CONTEXT = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}


def png(width=4, height=3) -> bytes:
    return make_png(width, height)


def dl_settings(**changes):
    settings = {"deep_link_return_url": "https://moodle.example.edu/dl-return",
                "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-42"}
    settings.update(changes)
    return {key: value for key, value in settings.items() if value is not None}


def dl_token(client, platform, *, roles=None, sub="teacher-1", context=None, **settings_changes) -> str:
    result = platform.launch(client, sub=sub, roles=[INSTRUCTOR] if roles is None else roles,
                             message_type="LtiDeepLinkingRequest",
                             resource_link=None, context=context or CONTEXT,
                             dl_settings=dl_settings(**settings_changes))
    assert result.response.status_code == 303, result.response.content[:600]
    return parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]


def returned(response) -> tuple[str, str]:
    """The auto-posting form of the return page: (action, JWT)."""
    assert response.status_code == 200, response.content[:800]
    match = re.search(rb'<form id="dl-return" method="post" action="([^"]*)"><input type="hidden" name="JWT" '
                      rb'value="([^"]*)">', response.content)
    assert match, response.content[:800]
    return html.unescape(match.group(1).decode()), html.unescape(match.group(2).decode())


def platform_check(client, platform, token) -> tuple[dict, list]:
    """Verify as lti1p3platform does (our /lti/jwks as the tool key set); return (claims, content items)."""
    registration = platform.lti1p3_registration("http://testserver/lti/launch")
    registration.set_tool_key_set(client.get("/lti/jwks").json())
    items = _Conf(registration=registration).validate_deeplinking_resp({"JWT": token})
    claims = jwt.decode(token, options={"verify_signature": False})  # signature checked just above
    return claims, items


@pytest.fixture
def course_badge(deployment):
    from lti_tool.models import LtiContext

    context = LtiContext.objects.create(deployment=deployment, context_id=CONTEXT["id"], title=CONTEXT["title"])
    return achievement_create_in_course(deployment=deployment, context=context, name="Data Cleaning",
                                        description="Cleans a messy data set.", criteria="Submit a cleaned CSV.",
                                        image_data=png(), image_content_type="image/png")


# --- choosing an existing badge ------------------------------------------------------------------------------

def test_choosing_a_badge_returns_a_signed_resource_link(client, deployment, platform, course_badge):
    token = dl_token(client, platform)
    picker = client.get("/lti/deep-link", {"lt": token})
    assert b"Data Cleaning" in picker.content and str(course_badge.uuid).encode() in picker.content
    action, response_token = returned(client.post("/lti/deep-link", {"lt": token, "action": "select",
                                                                      "badge": str(course_badge.uuid)}))
    assert action == "https://moodle.example.edu/dl-return"
    claims, items = platform_check(client, platform, response_token)
    header = jwt.get_unverified_header(response_token)
    assert header["alg"] == "RS256" and header["kid"] in {k["kid"] for k in client.get("/lti/jwks").json()["keys"]}
    assert claims["iss"] == platform.client_id and claims["aud"] == [platform.issuer]
    assert claims[c.DEPLOYMENT_ID] == platform.deployment_id and claims["nonce"]
    assert claims[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse" and claims[c.VERSION] == "1.3.0"
    assert claims["exp"] > claims["iat"]
    assert claims[c.DL_DATA] == "opaque-42"  # echoed as sent
    assert "Data Cleaning" in claims[c.DL_MSG] and c.DL_ERRORMSG not in claims
    [item] = items
    assert item["type"] == "ltiResourceLink" and item["title"] == "Data Cleaning"
    assert item["url"] == "http://testserver/lti/launch"
    assert item["custom"] == {BADGE_PARAMETER: str(course_badge.uuid)}
    assert item["text"] == "Cleans a messy data set."
    assert item["icon"] == {"url": f"http://testserver/images/{course_badge.image.uuid}.png", "width": 4, "height": 3}
    assert item["iframe"] == {"height": dl.IFRAME_HEIGHT} and "window" not in item
    assert "lineItem" not in item


def test_gradebook_column_adds_a_line_item(client, deployment, platform, course_badge):
    token = dl_token(client, platform, accept_lineitem=True)
    assert b'name="gradebook"' in client.get("/lti/deep-link", {"lt": token}).content
    _, response_token = returned(client.post("/lti/deep-link", {"lt": token, "action": "select", "gradebook": "on",
                                                                "badge": str(course_badge.uuid)}))
    _, [item] = platform_check(client, platform, response_token)
    assert item["lineItem"] == {"scoreMaximum": 100, "label": "Data Cleaning",
                                "resourceId": str(course_badge.uuid), "tag": "accolade-badge"}


def test_platform_that_ignores_line_items_gets_none(client, deployment, platform, course_badge):
    token = dl_token(client, platform, accept_lineitem=False)
    assert b'name="gradebook"' not in client.get("/lti/deep-link", {"lt": token}).content
    _, response_token = returned(client.post("/lti/deep-link", {"lt": token, "action": "select", "gradebook": "on",
                                                                "badge": str(course_badge.uuid)}))
    _, [item] = platform_check(client, platform, response_token)
    assert "lineItem" not in item


def test_data_is_left_out_when_the_request_had_none(client, deployment, platform, course_badge):
    token = dl_token(client, platform, data=None)
    _, response_token = returned(client.post("/lti/deep-link", {"lt": token, "action": "select",
                                                                "badge": str(course_badge.uuid)}))
    claims, _ = platform_check(client, platform, response_token)
    assert c.DL_DATA not in claims


@pytest.mark.parametrize(("targets", "expected"), [
    (["iframe", "window"], ("iframe", {"height": dl.IFRAME_HEIGHT})),
    (["frame", "iframe", "window"], ("iframe", {"height": dl.IFRAME_HEIGHT})),  # Moodle's list
    (["window"], ("window", {"targetName": dl.WINDOW_TARGET})),
    (["embed"], None),
])
def test_presentation_follows_the_accepted_targets(client, deployment, platform, course_badge, targets, expected):
    token = dl_token(client, platform, accept_presentation_document_targets=targets)
    _, response_token = returned(client.post("/lti/deep-link", {"lt": token, "action": "select",
                                                                "badge": str(course_badge.uuid)}))
    _, [item] = platform_check(client, platform, response_token)
    present = {key: item[key] for key in ("iframe", "window") if key in item}
    assert present == ({} if expected is None else {expected[0]: expected[1]})


def test_auto_create_is_explained(client, deployment, platform, course_badge):
    now = client.get("/lti/deep-link", {"lt": dl_token(client, platform, auto_create=True)})
    later = client.get("/lti/deep-link", {"lt": dl_token(client, platform, sub="teacher-2", auto_create=False)})
    assert b"adds the badge as soon as you choose it" in now.content
    assert b"You confirm it in your LMS afterwards" in later.content


@pytest.mark.parametrize("badge", ["", "not-a-uuid", str(uuid.uuid4())])
def test_choosing_nothing_or_an_unknown_badge_is_refused(client, deployment, platform, course_badge, badge):
    token = dl_token(client, platform)
    response = client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": badge})
    assert response.status_code == 400
    assert b"Choose one of this course&#x27;s badges" in response.content and b'name="JWT"' not in response.content


# --- creating a badge ----------------------------------------------------------------------------------------

def test_creating_a_badge_places_it(client, deployment, platform):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = dl_token(client, platform)
    svg = (Path(__file__).resolve().parents[3] / "lti_tool" / "demo" / "data-literacy.svg").read_bytes()
    response = client.post("/lti/deep-link", {
        "lt": token, "action": "create", "name": "Data Literacy", "description": "Reads charts critically.",
        "criteria": "Pass the final quiz with 80%.", "gradebook": "on",
        "image": SimpleUploadedFile("badge.svg", svg, content_type="image/svg+xml")})
    _, response_token = returned(response)
    created = Achievement.objects.get(name="Data Literacy")
    assert created.deployment == deployment and created.lti_context.context_id == CONTEXT["id"]
    assert created.issuer == deployment.issuer and created.status == "active"
    assert created.criteria_narrative == "Pass the final quiz with 80%." and created.image.extension == "svg"
    _, [item] = platform_check(client, platform, response_token)
    assert item["custom"] == {BADGE_PARAMETER: str(created.uuid)}
    assert item["icon"] == {"url": f"http://testserver/images/{created.image.uuid}.svg"}  # size unknown for SVG
    assert item["lineItem"]["resourceId"] == str(created.uuid)


def test_create_form_starts_from_the_platform_title_and_text(client, deployment, platform):
    token = dl_token(client, platform, title="Week 3 badge", text="Awarded for the week 3 lab.")
    page = client.get("/lti/deep-link", {"lt": token})
    assert b'value="Week 3 badge"' in page.content and b">Awarded for the week 3 lab.</textarea>" in page.content


def test_scripts_in_an_svg_are_removed_before_it_is_stored(client, deployment, platform):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = dl_token(client, platform)
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
           b'<circle r="4"/></svg>')
    returned(client.post("/lti/deep-link", {
        "lt": token, "action": "create", "name": "Safe", "description": "d", "criteria": "c",
        "image": SimpleUploadedFile("b.svg", svg, content_type="image/svg+xml")}))
    stored = bytes(Achievement.objects.get(name="Safe").image.data)
    assert b"script" not in stored and b"onload" not in stored and b"circle" in stored


@pytest.mark.parametrize(("data", "content_type", "message"), [
    (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "image/svg+xml",
     b"Image rejected"),
    (png()[:30], "image/png", b"Image rejected"),
    (b"GIF89a....", "image/gif", b"Badge images must be PNG or SVG"),
    (png(), "image/svg+xml", b"File says it is image/svg+xml but it is image/png"),
])
def test_a_bad_image_is_refused_in_the_form_and_nothing_is_created(client, deployment, platform, data,
                                                                    content_type, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = dl_token(client, platform)
    response = client.post("/lti/deep-link", {
        "lt": token, "action": "create", "name": "Shiny", "description": "d", "criteria": "c",
        "image": SimpleUploadedFile("badge", data, content_type=content_type)})
    assert response.status_code == 400 and message in response.content, response.content[-1500:]
    assert b'id="image-error"' in response.content and b'value="Shiny"' in response.content  # fields kept
    assert not Achievement.objects.filter(name="Shiny").exists() and StoredImage.objects.count() == 0


def test_missing_fields_are_all_reported(client, deployment, platform):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = dl_token(client, platform)
    response = client.post("/lti/deep-link", {
        "lt": token, "action": "create", "name": " ", "description": "", "criteria": "",
        "image": SimpleUploadedFile("badge.png", png(), content_type="image/png")})
    assert response.status_code == 400
    for field in (b"name", b"description", b"criteria"):
        assert b'id="' + field + b'-error"' in response.content
    assert b"Say what learners must do to earn it" in response.content
    assert Achievement.objects.count() == 0 and StoredImage.objects.count() == 0  # the good image is not kept


def test_a_second_badge_with_the_same_name_is_refused(client, deployment, platform, course_badge):
    token = dl_token(client, platform)
    response = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "data cleaning",
                                              "description": "d", "criteria": "c"})
    assert response.status_code == 400 and b"already has a badge called" in response.content
    assert Achievement.objects.count() == 1


def test_without_an_issuer_badges_can_be_chosen_but_not_created(client, deployment, platform, course_badge):
    deployment.issuer = None
    deployment.save()
    token = dl_token(client, platform)
    page = client.get("/lti/deep-link", {"lt": token})
    assert b"has not yet chosen the issuer" in page.content and b'value="create"' not in page.content
    refused = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "N", "description": "d",
                                             "criteria": "c"})
    assert refused.status_code == 400 and b"must choose the issuer" in refused.content
    returned(client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": str(course_badge.uuid)}))


def test_an_oversized_upload_gets_a_clear_page(client, deployment, platform):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = dl_token(client, platform)
    response = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "Big", "description": "d",
                                              "criteria": "c", "image": SimpleUploadedFile(
                                                  "big.png", b"\x89PNG" + b"\x00" * (7 * 1024 * 1024))})
    assert response.status_code == 413 and b"larger than 6 MB" in response.content
    assert not Achievement.objects.exists()


# --- what the platform accepts, who may place, which token --------------------------------------------------

def test_a_placement_without_resource_links_gets_the_error_message_field(client, deployment, platform):
    token = dl_token(client, platform, accept_types=["link", "html"])
    response = client.get("/lti/deep-link", {"lt": token})
    action, response_token = returned(response)
    assert action == "https://moodle.example.edu/dl-return"
    assert b"Nothing to place here" in response.content and b"Place a badge" not in response.content
    claims, items = platform_check(client, platform, response_token)
    assert items == [] and claims[c.DL_CONTENT_ITEMS] == []
    assert "does not accept" in claims[c.DL_ERRORMSG] and "ltiResourceLink" in claims[c.DL_ERRORLOG]
    assert c.DL_MSG not in claims and claims[c.DL_DATA] == "opaque-42"


@pytest.mark.parametrize("roles", [[LEARNER], [TA], []])
def test_only_instructors_may_place_badges(client, deployment, platform, course_badge, roles):
    token = dl_token(client, platform, roles=roles)  # [] is an empty roles claim: a guest
    assert client.get("/lti/deep-link", {"lt": token}).status_code == 403
    post = client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": str(course_badge.uuid)})
    assert post.status_code == 403 and b"only the course" in post.content and b'name="JWT"' not in post.content


def test_a_learner_is_refused_even_where_resource_links_are_not_accepted(client, deployment, platform):
    token = dl_token(client, platform, roles=[LEARNER], accept_types=["link"])
    response = client.get("/lti/deep-link", {"lt": token})
    assert response.status_code == 403 and b'name="JWT"' not in response.content


def test_missing_forged_or_expired_tokens_get_a_401_page(client, deployment, platform, course_badge):
    assert client.get("/lti/deep-link").status_code == 401
    forged = client.post("/lti/deep-link", {"lt": "x" * 43, "action": "select", "badge": str(course_badge.uuid)})
    assert forged.status_code == 401 and b"open the tool from your course again" in forged.content
    token = dl_token(client, platform)
    LtiLaunch.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": str(course_badge.uuid)})
    assert expired.status_code == 401 and b"this launch has ended" in expired.content


def test_resource_link_and_deep_linking_tokens_open_only_their_own_page(client, deployment, platform):
    link = platform.launch(client, roles=[INSTRUCTOR], sub="teacher-1", context=CONTEXT)
    link_token = parse_qs(urlsplit(link.response["Location"]).query)["lt"][0]
    refused = client.get("/lti/deep-link", {"lt": link_token})
    assert refused.status_code == 403 and b"choose content (Deep Linking)" in refused.content
    picker_token = dl_token(client, platform, sub="teacher-2")
    refused = client.get("/lti/badge", {"lt": picker_token})
    assert refused.status_code == 403 and b"belongs to a badge link" in refused.content


@pytest.mark.parametrize("switched_off", ["deployment", "registration"])
def test_a_switched_off_connection_ends_open_pages(client, deployment, platform, switched_off):
    token = dl_token(client, platform)
    record = deployment if switched_off == "deployment" else deployment.registration
    record.status = "disabled"
    record.save()
    response = client.get("/lti/deep-link", {"lt": token})
    assert response.status_code == 403 and b"switched off" in response.content


def test_a_post_without_an_action_is_answered_with_the_form(client, deployment, platform, course_badge):
    response = client.post("/lti/deep-link", {"lt": dl_token(client, platform)})
    assert response.status_code == 400 and b"The form was incomplete" in response.content


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "data:text/html,x", "//evil.example/x"])
def test_a_return_url_that_is_not_http_is_refused(client, deployment, platform, url):
    token = dl_token(client, platform, deep_link_return_url=url)
    response = client.get("/lti/deep-link", {"lt": token})
    assert response.status_code == 400 and b"no usable deep_link_return_url" in response.content


# --- Moodle 5.1: the recorded exchange ---------------------------------------------------------------------

def moodle_form_values(item: dict, *, acceptgrades_always: bool = True) -> dict:
    """What Moodle 5.1's contentitem_return makes of one DL 2.0 content item (tool with "accept grades: always").

    A port of mod_lti's ``lti_convert_content_items`` + ``content_item_to_form`` (core_ltix helper), reduced to
    the fields in the recorded fixture; ``params_to_string`` writes ``custom`` as ``key=value`` lines.
    """
    values = {"name": item.get("title") or "", "introeditor": {"text": item.get("text", ""), "format": "2"}}
    if "url" in item:
        values.update(toolurl=item["url"], typeid=0)
    if acceptgrades_always:
        values.update(instructorchoiceacceptgrades=1, grade_modgrade_point=100)
    if "lineItem" in item:
        line = item["lineItem"]
        values.update(instructorchoiceacceptgrades=1, grade_modgrade_point=line.get("scoreMaximum", 100),
                      lineitemresourceid=line.get("resourceId") or "", lineitemtag=line.get("tag") or "",
                      lineitemsubreviewurl="", lineitemsubreviewparams="")
    values.update(instructorchoicesendname=0, instructorchoicesendemailaddr=0, launchcontainer=1)
    if "custom" in item:
        values["instructorcustomparameters"] = "\n".join(f"{key}={value}" for key, value in item["custom"].items())
    return values


def moodle_custom_claim(instructorcustomparameters: str) -> dict:
    """The custom claim Moodle sends for those lines (``lti_split_custom_parameters``, LTI 1.3 tool)."""
    claim = {}
    for line in instructorcustomparameters.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        key, sep, value = line.partition("=")
        if not sep or not key:
            continue
        key, value = key.strip(), value.strip()
        mapped = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in key.lower())
        claim[mapped] = value
        claim[key] = value  # LTI 1.3 keeps the name as written too
    return claim


def test_the_moodle_port_reproduces_the_recorded_form_values():
    sent = json.loads((MOODLE / "deep_linking_response.sent_by_tool.json").read_text())["payload"]
    recorded = json.loads((MOODLE / "deep_linking_return.moodle_activity_form_values.json").read_text())
    expected = dict(recorded["values_passed_to_mod_lti_contentitem_return_js"])
    expected.pop("selectcontentindicator")  # Moodle's own icon HTML
    [item] = sent[c.DL_CONTENT_ITEMS]
    assert moodle_form_values(item) == expected


def test_moodle_deep_linking_round_trip_keeps_the_badge(client, jwks_server, issuer):
    from lti_tool.models import LtiContext, LtiDeployment

    request = json.loads((MOODLE / "id_token.teacher_deep_linking_request.json").read_text())
    sent = json.loads((MOODLE / "deep_linking_response.sent_by_tool.json").read_text())
    settings = request[c.DL_SETTINGS]
    context = {key: request[c.CONTEXT][key] for key in ("id", "title", "label")}
    platform = Platform(issuer=request["iss"], client_id=request["aud"], deployment_id=request[c.DEPLOYMENT_ID],
                        jwks_server=jwks_server)
    deployment = LtiDeployment.objects.create(registration=platform.register(), deployment_id="1", status="active",
                                              issuer=issuer)
    course_badge = achievement_create_in_course(
        deployment=deployment, context=LtiContext.objects.create(deployment=deployment, context_id=context["id"]),
        name="Data Cleaning", description="Cleans a messy data set.", criteria="Submit a cleaned CSV.")
    result = platform.launch(client, sub=request["sub"], roles=request[c.ROLES], message_type=request[c.MESSAGE_TYPE],
                             resource_link=None, context=context, dl_settings=settings)
    token = parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]
    page = client.get("/lti/deep-link", {"lt": token})
    assert b'value="DL"' in page.content  # Moodle's "title" (the activity name typed so far) starts the form
    action, response_token = returned(client.post("/lti/deep-link", {
        "lt": token, "action": "select", "badge": str(course_badge.uuid), "gradebook": "on"}))
    assert action == settings["deep_link_return_url"]
    claims, [item] = platform_check(client, platform, response_token)
    # The same envelope as the recorded pylti1p3 response, minus "data" (Moodle sent none; we echo nothing)
    # plus msg/log.
    assert set(claims) == (set(sent["payload"]) - {c.DL_DATA}) | {c.DL_MSG, c.DL_LOG}
    assert claims["aud"] == [request["iss"]] and claims[c.DEPLOYMENT_ID] == request[c.DEPLOYMENT_ID]
    assert set(jwt.get_unverified_header(response_token)) == set(sent["header"])
    form = moodle_form_values(item)
    assert form["instructorcustomparameters"] == f"accolade_badge={course_badge.uuid}"
    assert form["toolurl"] == "http://testserver/lti/launch" and form["name"] == "Data Cleaning"
    assert form["grade_modgrade_point"] == 100 and form["lineitemresourceid"] == str(course_badge.uuid)
    # A student then opens the activity Moodle created: Moodle sends the custom parameter back.
    custom = moodle_custom_claim(form["instructorcustomparameters"])
    custom["context_memberships_url"] = request[c.CUSTOM]["context_memberships_url"]
    student = platform.launch(client, sub="4", roles=[LEARNER], target=form["toolurl"], resource_link="1",
                              context=context, custom=custom, name="Sam Student")
    landing = client.get(student.response["Location"].removeprefix("http://testserver"))
    assert b"Data Cleaning" in landing.content and b"Not earned yet" in landing.content
    assert LtiResourceLink.objects.get(resource_link_id="1").achievement == course_badge


# --- Open edX: lti-consumer-xblock drives the whole exchange ------------------------------------------------

@pytest.mark.interop
def test_open_edx_deep_linking_with_lti_consumer_xblock(client, live_server, issuer):
    from lti_consumer.data import Lti1p3LaunchData
    from lti_consumer.lti_1p3.consumer import LtiAdvantageConsumer

    from lti_tool.models import LtiDeployment, LtiPlatform, LtiRegistration

    from .platforms import new_rsa_key

    private_pem, _ = new_rsa_key()
    issuer_url, client_id = "https://courses.openedx.example", "edx-client-1"
    consumer = LtiAdvantageConsumer(
        iss=issuer_url, lti_oidc_url="http://testserver/lti/login", lti_launch_url="http://testserver/lti/launch",
        client_id=client_id, deployment_id="1", rsa_key=private_pem, rsa_key_id="edx-key-1",
        redirect_uris=["http://testserver/lti/launch"], tool_keyset_url=f"{live_server.url}/lti/jwks")
    consumer.enable_deep_linking("http://testserver/lti/launch", f"{issuer_url}/deep_linking_response")
    consumer.set_user_data(user_id="edx-7", role="instructor", full_name="Olive Staff", email_address="o@x.edu")
    consumer.set_context_claim("course-v1:Example+DATA+2026", context_title="Data 2026", context_label="DATA")
    jwks_server = JwksServer()
    try:
        jwks_server.jwks = consumer.get_public_keyset()  # Open edX publishes its JWK without "alg"
        registration = LtiRegistration.objects.create(
            platform=LtiPlatform.objects.create(issuer=issuer_url, family="open-edx"), client_id=client_id,
            status="active", auth_login_url=f"{issuer_url}/api/lti_consumer/v1/launch/",
            key_set_url=jwks_server.url)
        LtiDeployment.objects.create(registration=registration, deployment_id="1", status="active", issuer=issuer)
        preflight = consumer.prepare_preflight_url(Lti1p3LaunchData(
            user_id="edx-7", user_role="instructor", config_id=str(uuid.uuid4()),
            resource_link_id="block-v1:Example+DATA+2026+type@lti_consumer+block@badge",
            message_type="LtiDeepLinkingRequest", context_id="course-v1:Example+DATA+2026"))
        login = client.get("/lti/login", dict(parse_qsl(urlsplit(preflight).query)))
        assert login.status_code == 302, login.content[:400]
        name, _, rest = login["Set-Cookie"].partition("=")
        client.cookies[name] = rest.split(";", 1)[0]
        launch = consumer.generate_launch_request(dict(parse_qsl(urlsplit(login["Location"]).query)))
        landed = client.post("/lti/launch", launch)
        assert landed.status_code == 303, landed.content[:600]
        token = parse_qs(urlsplit(landed["Location"]).query)["lt"][0]
        created = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "Open edX Data Badge",
                                                 "description": "Awarded in the Open edX course.",
                                                 "criteria": "Finish every unit."})
        action, response_token = returned(created)
        assert action == f"{issuer_url}/deep_linking_response"
        [item] = consumer.check_and_decode_deep_linking_token(response_token)  # fetches our /lti/jwks over HTTP
    finally:
        jwks_server.close()
    badge = Achievement.objects.get(name="Open edX Data Badge")
    assert item["type"] == "ltiResourceLink" and item["custom"] == {BADGE_PARAMETER: str(badge.uuid)}
    assert badge.lti_context.context_id == "course-v1:Example+DATA+2026"
