"""The README's demo: a learner and an instructor launch Accolade from the demo LMS in Chromium.

The demo LMS signs real RS256 id_tokens and the tool validates them like any platform's, so this is
the whole OIDC login → launch → badge page exchange inside an iframe, as a newcomer sees it.
"""

import pytest
from django.core.management import call_command

from lti_tool.models import Award, LtiLaunch, LtiUser

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(live_site, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo LMS keeps its platform key there
    settings.ACCOLADE = {**settings.ACCOLADE, "DEMO_LMS": True}
    call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))
    return live_site


def tool_frame(page):
    frame = page.frame_locator("iframe")
    frame.locator("h1").wait_for()
    return frame


def test_awarded_learner_lands_on_her_earned_badge(page, demo, screenshot):
    page.goto(f"{demo}/demo-lms/?as=ada")
    frame = tool_frame(page)
    assert frame.locator("h1").inner_text() == "Data Literacy Foundations"
    assert "You earned this badge" in frame.locator("body").inner_text()
    share = frame.get_by_role("link", name="View and share your credential")
    ada = LtiUser.objects.get(sub="ada")
    award = Award.objects.get(learner=ada.learner, revoked_at__isnull=True)
    assert share.get_attribute("href") == award.public_id
    assert LtiLaunch.objects.filter(user=ada).count() == 1
    screenshot(page, "demo-lms-learner-earned")


def test_new_learner_sees_what_it_takes(page, demo, screenshot):
    page.goto(f"{demo}/demo-lms/?as=noah")
    text = tool_frame(page).locator("body").inner_text()
    assert "Not earned yet" in text and "What it takes" in text
    noah = LtiUser.objects.get(sub="noah")
    assert noah.email == "noah@demo.example.edu" and noah.name == "Noah Newcomer"
    assert not Award.objects.filter(learner=noah.learner).exists()
    screenshot(page, "demo-lms-learner-new")


def test_instructor_lands_on_the_roster_and_can_place_a_badge(page, demo, screenshot):
    page.goto(f"{demo}/demo-lms/?as=tina")
    frame = tool_frame(page)
    assert "Course roster" in frame.locator("body").inner_text()
    screenshot(page, "demo-lms-instructor")
    page.get_by_role("link", name="Place a badge (Deep Linking)").click()
    picker = tool_frame(page)
    assert "Data Literacy Foundations" in picker.locator("body").inner_text()
    screenshot(page, "demo-lms-deep-link-picker")
    picker.get_by_label("Data Literacy Foundations").check()
    picker.get_by_role("button", name="Place the chosen badge").click()
    # The demo LMS verified the signed response before listing what it holds.
    page.frame_locator("iframe").get_by_role("heading", name="The tool sent back 1 item(s)").wait_for()
    assert "ltiResourceLink" in page.frame_locator("iframe").locator("ul").inner_text()


def test_demo_lms_is_off_unless_enabled(client, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "DEMO_LMS": False}
    assert client.get("/demo-lms/").status_code == 404
    assert client.get("/demo-lms/jwks").status_code == 404
