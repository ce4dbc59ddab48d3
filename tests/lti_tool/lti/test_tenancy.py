"""Tenants stay apart: a launch in one deployment never lists, chooses, binds or shows another's badges,
rosters or awards, whether the other tenant is another platform or another deployment on the same one.

Both tenants use the same course id ("course-1") and resource link id ("rl-1"), as small LMS ids
collide across installations (Moodle numbers both from 1), and every forgery below is signed by the
tenant's own platform, so only our scoping stops it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.models import Achievement, LtiContext, LtiDeployment, LtiResourceLink, LtiUser
from lti_tool.services.achievements import achievement_create_in_course, achievement_define
from lti_tool.services.awards import award_issue
from lti_tool.services.issuers import issuer_create
from lti_tool.services.lti_launches import BADGE_PARAMETER

from .platforms import INSTRUCTOR, LEARNER, JwksServer, Platform

COURSE = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}
OTHER_COURSE = {"id": "course-2", "title": "Statistics", "label": "STAT200"}


def settings_for(platform):
    return {"deep_link_return_url": f"{platform.issuer}/dl-return", "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe"]}


def token_of(result) -> str:
    assert result.response.status_code == 303, result.response.content[:600]
    return parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]


def picker(client, platform, *, sub="teacher", course=COURSE) -> str:
    return token_of(platform.launch(client, sub=sub, roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest",
                                    resource_link=None, context=course, dl_settings=settings_for(platform)))


def badge_page(client, platform, *, sub, roles=None, custom=None, course=COURSE, name="Pat Learner", link="rl-1"):
    token = token_of(platform.launch(client, sub=sub, roles=roles or [LEARNER], context=course, custom=custom,
                                     name=name, resource_link=link))
    client.cookies.clear()
    return client.get("/lti/badge", {"lt": token}).content.decode()


def make_badge(deployment, course, name):
    context, _ = LtiContext.objects.get_or_create(deployment=deployment, context_id=course["id"])
    return achievement_create_in_course(deployment=deployment, context=context, name=name,
                                        description=f"{name} description", criteria="c")


@pytest.fixture
def other_server():
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture(params=["another platform", "another deployment of the same platform"])
def tenants(request, deployment, platform, jwks_server, other_server, db):
    """Tenant A (the default Moodle deployment) and tenant B, each with a badge in "course-1"."""
    if request.param == "another platform":
        other = Platform(issuer="https://canvas.example.edu", client_id="10000000000042", deployment_id="1",
                         jwks_server=other_server, family="canvas")
        registration = other.register()
    else:
        other = Platform(issuer=platform.issuer, client_id=platform.client_id, deployment_id="2",
                         jwks_server=jwks_server, kid=platform.kid, private_pem=platform.private_pem,
                         public_pem=platform.public_pem)
        registration = deployment.registration
    other_issuer = issuer_create(name="Other College", url="https://other.example.edu", email="r@other.example.edu")
    other_deployment = LtiDeployment.objects.create(registration=registration, deployment_id=other.deployment_id,
                                                    status="active", issuer=other_issuer, name="Other")
    return {"a": platform, "a_badge": make_badge(deployment, COURSE, "Alpha Badge"), "a_deployment": deployment,
            "b": other, "b_badge": make_badge(other_deployment, COURSE, "Beta Badge"), "b_deployment": other_deployment}


def test_the_picker_lists_only_the_tenants_own_badges(client, tenants):
    page = client.get("/lti/deep-link", {"lt": picker(client, tenants["a"])}).content
    assert b"Alpha Badge" in page and b"Beta Badge" not in page
    assert str(tenants["b_badge"].uuid).encode() not in page
    page = client.get("/lti/deep-link", {"lt": picker(client, tenants["b"], sub="teacher-b")}).content
    assert b"Beta Badge" in page and b"Alpha Badge" not in page


def test_a_forged_choice_of_another_tenants_badge_is_refused(client, tenants):
    token = picker(client, tenants["a"])
    response = client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": str(tenants["b_badge"].uuid)})
    assert response.status_code == 400 and b'name="JWT"' not in response.content
    assert b"Beta Badge" not in response.content


def test_a_forged_custom_badge_is_not_bound_to_a_link(client, tenants):
    forged = {BADGE_PARAMETER: str(tenants["b_badge"].uuid)}
    page = badge_page(client, tenants["a"], sub="mallory", roles=[INSTRUCTOR], custom=forged)
    assert "No badge here yet" in page and "Beta Badge" not in page
    assert LtiResourceLink.objects.get(deployment=tenants["a_deployment"], resource_link_id="rl-1").achievement is None
    # A link already showing the tenant's badge keeps it.
    badge_page(client, tenants["a"], sub="tina", roles=[INSTRUCTOR],
               custom={BADGE_PARAMETER: str(tenants["a_badge"].uuid)})
    page = badge_page(client, tenants["a"], sub="mallory", custom=forged)
    assert "Alpha Badge" in page and "Beta Badge" not in page


def test_the_same_link_id_in_another_tenant_is_another_link(client, tenants):
    badge_page(client, tenants["b"], sub="teacher-b", roles=[INSTRUCTOR],
               custom={BADGE_PARAMETER: str(tenants["b_badge"].uuid)})
    page = badge_page(client, tenants["a"], sub="learner-a")
    assert "No badge here yet" in page and "Beta Badge" not in page


def test_rosters_and_awards_of_another_tenant_stay_hidden(client, tenants):
    a_custom = {BADGE_PARAMETER: str(tenants["a_badge"].uuid)}
    b_custom = {BADGE_PARAMETER: str(tenants["b_badge"].uuid)}
    # "sam" opens both tenants' course-1; on the same platform that is one account (iss + sub), one learner.
    badge_page(client, tenants["a"], sub="sam", name="Sam Both", custom=a_custom)
    badge_page(client, tenants["b"], sub="sam", name="Sam Both", custom=b_custom)
    badge_page(client, tenants["b"], sub="bea", name="Bea Only In B", custom=b_custom)
    b_awards = [award_issue(achievement=tenants["b_badge"], learner=user.learner, issued_by="test")
                for user in LtiUser.objects.filter(platform__issuer=tenants["b"].issuer, sub__in=["sam", "bea"])]
    teacher = badge_page(client, tenants["a"], sub="tina", name="Tina Teacher", roles=[INSTRUCTOR], custom=a_custom)
    rows = re.findall(r'<td class="name">([^<]+)</td>', teacher)
    assert rows == ["Sam Both", "Tina Teacher"] and "Bea Only In B" not in teacher
    assert "earned by <span class=\"count\">0 of 1</span> learner " in teacher and "Beta Badge" not in teacher
    learner = badge_page(client, tenants["a"], sub="sam", name="Sam Both", custom=a_custom)
    assert "Not earned yet" in learner
    assert all(str(award.uuid) not in learner + teacher for award in b_awards)


def test_a_badge_created_in_one_tenant_belongs_to_it(client, tenants):
    token = picker(client, tenants["a"])
    response = client.post("/lti/deep-link", {"lt": token, "action": "create", "name": "Gamma Badge",
                                              "description": "d", "criteria": "c"})
    assert response.status_code == 200 and b'name="JWT"' in response.content
    gamma = Achievement.objects.get(name="Gamma Badge")
    assert gamma.deployment == tenants["a_deployment"] and gamma.issuer == tenants["a_deployment"].issuer
    assert gamma.lti_context.deployment == tenants["a_deployment"]
    page = client.get("/lti/deep-link", {"lt": picker(client, tenants["b"], sub="teacher-b")}).content
    assert b"Gamma Badge" not in page


def test_course_badges_stay_in_their_course(client, deployment, platform):
    first = make_badge(deployment, COURSE, "Course One Badge")
    make_badge(deployment, OTHER_COURSE, "Course Two Badge")
    token = picker(client, platform, course=OTHER_COURSE)
    page = client.get("/lti/deep-link", {"lt": token}).content
    assert b"Course Two Badge" in page and b"Course One Badge" not in page
    refused = client.post("/lti/deep-link", {"lt": token, "action": "select", "badge": str(first.uuid)})
    assert refused.status_code == 400 and b'name="JWT"' not in refused.content
    # The roster of course two lists only people seen in course two.
    custom = {BADGE_PARAMETER: str(first.uuid)}
    badge_page(client, platform, sub="one", name="Only In One", custom=custom)
    two = Achievement.objects.get(name="Course Two Badge")
    teacher = badge_page(client, platform, sub="tina", name="Tina Teacher", roles=[INSTRUCTOR], course=OTHER_COURSE,
                         custom={BADGE_PARAMETER: str(two.uuid)}, link="rl-2")
    assert "Course Two Badge" in teacher and "Only In One" not in teacher and "Course One Badge" not in teacher


def test_a_link_cannot_be_bound_to_a_badge_of_another_course(client, deployment, platform):
    """One deployment is usually a whole LMS site; badge UUIDs are public; the course still separates."""
    other_context, _ = LtiContext.objects.get_or_create(deployment=deployment, context_id=OTHER_COURSE["id"])
    other = achievement_create_in_course(deployment=deployment, context=other_context, name="Statistics Secret",
                                         description="d", criteria="c")
    result = platform.launch(client, sub="mallory", roles=[INSTRUCTOR], context=COURSE, resource_link="rl-x",
                             custom={BADGE_PARAMETER: str(other.uuid)})
    token = token_of(result)
    client.cookies.clear()
    page = client.get("/lti/badge", {"lt": token}).content.decode()
    assert LtiResourceLink.objects.get(deployment=deployment, resource_link_id="rl-x").achievement is None
    assert "Statistics Secret" not in page


def test_a_link_row_pointing_at_another_course_shows_nothing_of_it(client, deployment, platform):
    other_context, _ = LtiContext.objects.get_or_create(deployment=deployment, context_id=OTHER_COURSE["id"])
    other = achievement_create_in_course(deployment=deployment, context=other_context, name="Statistics Secret",
                                         description="d", criteria="c")
    token = token_of(platform.launch(client, sub="mallory", roles=[INSTRUCTOR], context=COURSE, resource_link="rl-y"))
    LtiResourceLink.objects.filter(deployment=deployment, resource_link_id="rl-y").update(achievement=other)
    client.cookies.clear()
    assert "Statistics Secret" not in client.get("/lti/badge", {"lt": token}).content.decode()


def test_a_deployment_wide_badge_can_be_bound_in_any_course_of_that_deployment(client, deployment, platform):
    """An admin's institution-wide badge (no course) placed by custom parameter in any course."""
    badge = achievement_define(issuer=deployment.issuer, deployment=deployment, spec={
        "name": "Library Orientation", "description": "d", "criteria": {"narrative": "c"}, "status": "active"})
    draft = achievement_define(issuer=deployment.issuer, deployment=deployment, spec={
        "name": "Draft Badge", "description": "d", "criteria": {"narrative": "c"}, "status": "draft"})
    for link, chosen, expected in (("rl-w", badge, badge.pk), ("rl-d", draft, None)):
        token = token_of(platform.launch(client, sub="ana", roles=[LEARNER], context=OTHER_COURSE,
                                         resource_link=link, custom={BADGE_PARAMETER: str(chosen.uuid)}))
        assert LtiResourceLink.objects.get(deployment=deployment, resource_link_id=link).achievement_id == expected
    client.cookies.clear()
    assert "Library Orientation" not in client.get("/lti/badge", {"lt": token}).content.decode()
