"""The page a badge link opens: learners see the badge, what it takes and their credential; staff the roster."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import timezone

from lti_tool.models import LtiContext, LtiLaunch, LtiUser
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.lti_launches import BADGE_PARAMETER

from .platforms import INSTRUCTOR, LEARNER, LIS
from .test_deep_linking import png

CONTEXT = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}
TA = LIS + "membership/Instructor#TeachingAssistant"
AGS = {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
       "lineitems": "https://moodle.example.edu/mod/lti/services.php/2/lineitems?type_id=1",
       "lineitem": "https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"}


@pytest.fixture
def course(deployment):
    return LtiContext.objects.create(deployment=deployment, context_id=CONTEXT["id"], title=CONTEXT["title"])


@pytest.fixture
def badge(deployment, course):
    return achievement_create_in_course(deployment=deployment, context=course, name="Data Cleaning",
                                        description="Cleans a messy data set.",
                                        criteria="Submit a cleaned CSV and a short report.",
                                        image_data=png(), image_content_type="image/png")


def open_link(client, platform, *, sub="learner-1", roles=None, custom=None, name="Pat Learner", link="rl-1",
              **options):
    """Launch a resource link and follow it to its page; return (page, token)."""
    result = platform.launch(client, sub=sub, roles=[LEARNER] if roles is None else roles, resource_link=link,
                             context=CONTEXT, custom=custom, name=name, **options)
    assert result.response.status_code == 303, result.response.content[:600]
    token = parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]
    client.cookies.clear()  # the page must work without any cookie inside the LMS iframe
    return client.get("/lti/badge", {"lt": token}), token


def badge_custom(badge):
    return {BADGE_PARAMETER: str(badge.uuid)}


def learner_of(sub):
    return LtiUser.objects.get(sub=sub).learner


def test_learner_sees_the_badge_and_that_it_is_not_earned_yet(client, deployment, platform, badge):
    page, _ = open_link(client, platform, custom=badge_custom(badge))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Data Cleaning" in text and "Cleans a messy data set." in text
    assert "Submit a cleaned CSV and a short report." in text
    assert "Not earned yet" in text and "issued by Example University" in text
    assert f"/images/{badge.image.uuid}.png" in text
    assert "Course roster" not in text and "View and share your credential" not in text
    assert "gradebook" not in text  # no line item was sent with this launch: nothing is said about grades


def test_learner_sees_the_gradebook_column_only_when_ags_sent_one(client, deployment, platform, badge):
    page, _ = open_link(client, platform, custom=badge_custom(badge), ags=AGS)
    assert b"column in your course gradebook" in page.content
    shown = page.content.split(b"<main>", 1)[1]
    assert b"Not earned yet" in shown and b"%" not in shown and b"score" not in shown  # no invented progress


def test_earned_badge_offers_credential_download_and_share(client, deployment, platform, badge):
    open_link(client, platform, custom=badge_custom(badge))
    award = award_issue(achievement=badge, learner=learner_of("learner-1"), issued_by="test")
    page, _ = open_link(client, platform, custom=badge_custom(badge))
    text = page.content.decode()
    assert "You earned this badge on" in text and "Not earned yet" not in text
    credential = award.public_id
    assert credential == f"http://testserver/credentials/{award.uuid}"
    links = dict((label, href) for href, label in re.findall(r'<a class="button[^"]*" href="([^"]+)"[^>]*>([^<]+)<',
                                                            text))
    assert links["View and share your credential"] == credential
    assert links["Download badge (PNG)"] == f"{credential}/badge.png"
    assert links["Credential JSON"] == f"{credential}?format=json"
    linkedin = urlsplit(links["Add to LinkedIn"].replace("&amp;", "&"))
    query = parse_qs(linkedin.query)
    assert linkedin.netloc == "www.linkedin.com" and query["certUrl"] == [credential]
    assert query["name"] == ["Data Cleaning"] and query["organizationName"] == ["Example University"]
    assert query["certId"] == [str(award.uuid)] and query["issueYear"] == [str(award.issued_at.year)]
    assert f'value="{credential}" readonly' in text and 'id="copy-link"' in text
    # The links work: the credential JSON, and a baked PNG badge (the achievement's image format).
    document = client.get(unquote(urlsplit(links["Credential JSON"]).path), {"format": "json"})
    assert document.status_code == 200 and document.json()["id"] == credential
    baked = client.get(urlsplit(links["Download badge (PNG)"]).path)
    assert baked.status_code == 200 and baked["Content-Type"] == "image/png" and b"iTXt" in baked.content


def test_svg_badge_downloads_as_svg(client, deployment, platform, course):
    svg_badge = achievement_create_in_course(
        deployment=deployment, context=course, name="Vector", description="d", criteria="c",
        image_data=b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="4"/></svg>')
    open_link(client, platform, custom=badge_custom(svg_badge))
    award = award_issue(achievement=svg_badge, learner=learner_of("learner-1"), issued_by="test")
    page, _ = open_link(client, platform, custom=badge_custom(svg_badge))
    assert f'href="{award.public_id}/badge.svg" download>Download badge (SVG)'.encode() in page.content


def test_a_revoked_award_is_not_shown_as_earned(client, deployment, platform, badge):
    open_link(client, platform, custom=badge_custom(badge))
    award = award_issue(achievement=badge, learner=learner_of("learner-1"), issued_by="test")
    award_revoke(award=award, reason="Issued by mistake", revoked_by="registrar")
    page, _ = open_link(client, platform, custom=badge_custom(badge))
    assert b"Not earned yet" in page.content and str(award.uuid).encode() not in page.content


def test_instructor_sees_the_roster_and_the_course_badges(client, deployment, platform, badge, course):
    other = achievement_create_in_course(deployment=deployment, context=course, name="Visualisation",
                                         description="Draws honest charts.", criteria="c")
    open_link(client, platform, sub="ana", name="Ana Earner", custom=badge_custom(badge))
    open_link(client, platform, sub="ben", name="Ben Waiting", custom=badge_custom(badge))
    award_issue(achievement=badge, learner=learner_of("ana"), issued_by="test")
    award_issue(achievement=other, learner=learner_of("ben"), issued_by="test")  # another badge: not counted
    page, _ = open_link(client, platform, sub="tina", name="Tina Teacher", roles=[INSTRUCTOR],
                        custom=badge_custom(badge))
    text = page.content.decode()
    assert "Course roster" in text and "earned by <span class=\"count\">1 of 2</span> learners" in text
    rows = re.findall(r'<tr><td class="name">([^<]+)</td><td class="role">([^<]+)</td><td>(.*?)</td>', text)
    assert [(name, role) for name, role, _ in rows] == [("Ana Earner", "Learner"), ("Ben Waiting", "Learner"),
                                                        ("Tina Teacher", "Instructor")]
    assert "Earned" in rows[0][2] and "Not yet" in rows[1][2] and "Earned" not in rows[2][2]
    assert "Other badges in this course" in text and "Visualisation" in text
    assert "To place a badge" in text and "Select content" in text
    assert "You earned" not in text and "Your progress" not in text


def test_assessor_sees_the_roster_but_is_not_told_to_place_badges(client, deployment, platform, badge):
    page, _ = open_link(client, platform, sub="ta", roles=[TA], custom=badge_custom(badge))
    assert b"Course roster" in page.content and b"To place a badge" not in page.content


def test_an_observer_sees_the_badge_but_no_roster(client, deployment, platform, badge):
    """Canvas sends observers (parents) as membership#Mentor: they must not see other learners' standing."""
    open_link(client, platform, sub="stu", name="Private Student", custom=badge_custom(badge))
    page, _ = open_link(client, platform, sub="parent", name="A Parent", roles=[LIS + "membership#Mentor"],
                        custom=badge_custom(badge))
    text = page.content.decode()
    assert page.status_code == 200 and "Data Cleaning" in text
    assert "Course roster" not in text and "Private Student" not in text


@pytest.mark.parametrize(("roles", "expected", "absent"), [
    ([LEARNER], b"Your instructor has not chosen a badge", b"Badges in this course"),
    ([INSTRUCTOR], b"Select content", b"Your instructor has not chosen"),
    ([TA], b"An instructor of the course can choose one", b"To place a badge"),
])
def test_a_link_without_a_badge_says_what_to_do(client, deployment, platform, badge, roles, expected, absent):
    page, _ = open_link(client, platform, sub="someone", roles=roles)
    assert page.status_code == 200 and b"No badge here yet" in page.content
    assert expected in page.content and absent not in page.content
    if INSTRUCTOR in roles:
        assert b"Data Cleaning" in page.content  # the course's badges, ready to be placed


def test_the_badge_stays_on_the_link_for_later_launches(client, deployment, platform, badge):
    open_link(client, platform, sub="tina", roles=[INSTRUCTOR], custom=badge_custom(badge))
    page, _ = open_link(client, platform, sub="late-learner")  # a platform that drops custom on this launch
    assert b"Data Cleaning" in page.content


def test_head_and_expired_tokens(client, deployment, platform, badge):
    _, token = open_link(client, platform, custom=badge_custom(badge))
    assert client.head("/lti/badge", {"lt": token}).status_code == 200
    LtiLaunch.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/lti/badge", {"lt": token})
    assert expired.status_code == 401 and b"open the tool from your course again" in expired.content
    assert client.get("/lti/badge").status_code == 401
    assert client.get("/lti/badge", {"lt": "z" * 43}).status_code == 401
    assert client.post("/lti/badge", {"lt": token}).status_code == 405


def test_a_learner_sees_progress_per_requirement(client, deployment, platform, badge, course):
    from django.utils import timezone

    from lti_tool.models import CourseSync
    from lti_tool.services.criteria import achievement_rules_set
    from lti_tool.services.facts import fact_record

    item = "ags:https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
    CourseSync.objects.create(context=course, kind="ags", summary={"items": [{"key": item, "label": "Quiz 1"}]})
    achievement_rules_set(achievement=badge, rules={"type": "all", "requirements": [
        {"type": "score", "item": item, "threshold": 80, "unit": "percent"},
        {"type": "any", "requirements": [{"type": "course_completed"},
                                         {"type": "evidence", "prompt": "Upload your cleaned CSV"}]}]})
    open_link(client, platform, custom=badge_custom(badge))  # first launch records the learner
    fact_record(context=course, learner=learner_of("learner-1"), kind="score", key=item,
                value={"given": 85, "maximum": 100}, source="ags", observed_at=timezone.now())
    page, _ = open_link(client, platform, custom=badge_custom(badge))
    text = page.content.decode()
    assert "<strong>1 of 2</strong> requirements met" in text
    lines = re.findall(r'<li class="([a-z-]+)(?: group)?" style="--depth:(\d)">.*?<span class="what">([^<]+)</span> '
                       r'<span class="standing">([^<]+)</span>', text)
    assert lines == [("met", "0", "Score at least 80% on Quiz 1", "your score: 85%"),
                     ("unknown", "0", "Any one of these", "0 of 1 done"),
                     ("unknown", "1", "Complete the course", "nothing recorded yet"),
                     ("not-met", "1", "Upload your cleaned CSV", "no evidence submitted yet")]
    staff, _ = open_link(client, platform, sub="tina", name="Tina Teacher", roles=[INSTRUCTOR],
                         custom=badge_custom(badge))
    staff_text = staff.content.decode()
    assert "Awarded automatically when a learner meets" in staff_text and "<th>Progress</th>" in staff_text
    assert "At least" not in staff_text and "Any one of these" in staff_text
    assert re.search(r'Pat Learner</td>.*?<td class="progress-cell">1 / 2</td>', staff_text)
