"""The pages an LTI launch opens, in Chromium at LMS-iframe size (900×700) and phone width (390).

The launch itself runs through the emulated platform (tests/lti_tool/lti/platforms.py, real RS256
id_tokens) with Django's test client against the live database; Chromium then opens the landing URL,
which carries the launch token and needs no cookie. The Deep Linking return is posted by the browser
to a small platform endpoint here, and the response it received is verified with lti1p3platform.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from lti_tool.models import Achievement, LtiContext, LtiDeployment, LtiUser
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.awards import award_issue
from lti_tool.services.issuers import issuer_create
from lti_tool.services.lti_launches import BADGE_PARAMETER
from tests.lti_tool.lti.platforms import INSTRUCTOR, LEARNER, JwksServer, Platform, _Conf

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "lti_tool" / "demo"
IFRAME = {"width": 900, "height": 700}
PHONE = {"width": 390, "height": 844}
COURSE = {"id": "2", "title": "LTI101 · Data Literacy", "label": "LTI101"}
HOSTILE_SVG = b'<!DOCTYPE svg [<!ENTITY lol "lol">]><svg xmlns="http://www.w3.org/2000/svg">&lol;</svg>'


class ReturnEndpoint:
    """The platform's deep_link_return_url: keeps what the browser posts and answers like an LMS page."""

    def __init__(self) -> None:
        self.posts: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.posts.append(parse_qs(body))
                page = b"<!doctype html><title>LMS</title><h1>Content selected</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/mod/lti/contentitem_return.php?course=2"

    def close(self) -> None:
        self._httpd.shutdown()


@pytest.fixture
def lms(live_site):
    jwks, endpoint = JwksServer(), ReturnEndpoint()
    issuer = issuer_create(name="Riverside Community College", url="https://riverside.example.edu",
                           email="registrar@riverside.example.edu")
    platform = Platform(issuer="https://moodle.riverside.example.edu", client_id="YQt7dOrmKzMSiIS", deployment_id="1",
                        jwks_server=jwks)
    deployment = LtiDeployment.objects.create(registration=platform.register(), deployment_id="1", status="active",
                                              issuer=issuer, name="Riverside Moodle")
    yield SimpleNamespace(url=live_site, platform=platform, deployment=deployment, endpoint=endpoint)
    jwks.close()
    endpoint.close()


def launch(client, lms, *, sub, name, roles, deep_linking=False, custom=None) -> str:
    """Run login → launch through the emulated platform; return the landing URL (on the live server)."""
    options = {"message_type": "LtiDeepLinkingRequest", "resource_link": None,
               "dl_settings": {"deep_link_return_url": lms.endpoint.url, "accept_types": ["ltiResourceLink"],
                               "accept_presentation_document_targets": ["frame", "iframe", "window"],
                               "accept_multiple": True, "auto_create": False, "title": "", "text": ""}} \
        if deep_linking else {"resource_link": "1", "custom": custom}
    result = lms.platform.launch(client, sub=sub, name=name, roles=roles, target=f"{lms.url}/lti/launch",
                                 context=COURSE, email=f"{sub}@riverside.example.edu", **options)
    assert result.response.status_code == 303, result.response.content[:600]
    client.cookies.clear()
    return result.response["Location"]


def course_badge(lms, name, description, criteria, image: bytes | None = None):
    context, _ = LtiContext.objects.get_or_create(deployment=lms.deployment, context_id=COURSE["id"],
                                                  defaults={"title": COURSE["title"]})
    return achievement_create_in_course(deployment=lms.deployment, context=context, name=name,
                                        description=description, criteria=criteria, image_data=image)


def both_widths(page, screenshot, name):
    """Screenshot at iframe size and at phone width; nothing may stick out sideways on the phone."""
    page.set_viewport_size(IFRAME)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} overflows"
    screenshot(page, f"{name}-mobile")
    page.set_viewport_size(IFRAME)


def test_picker_empty_with_an_error_then_created_and_returned(page, client, lms, screenshot):
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], deep_linking=True))
    assert page.locator("h1").inner_text() == "Place a badge in this course"
    assert "This course has no badges yet" in page.locator("main").inner_text()
    both_widths(page, screenshot, "lti-picker-empty")

    page.fill("#name", "Data Literacy Foundations")
    page.fill("#description", "Reads, questions and explains charts and tables found in the news and at work.")
    page.fill("#criteria", "Complete the four data-literacy labs and pass the final quiz with 80% or more.")
    page.set_input_files("#image", files=[{"name": "badge.svg", "mimeType": "image/svg+xml", "buffer": HOSTILE_SVG}])
    page.get_by_role("button", name="Create and place").click()
    assert "Image rejected" in page.locator("#image-error").inner_text()
    assert page.input_value("#name") == "Data Literacy Foundations"  # what was typed is kept
    assert not Achievement.objects.exists()
    both_widths(page, screenshot, "lti-picker-error")

    page.set_input_files("#image", str(DEMO / "data-literacy.svg"))
    page.check("input[name=gradebook]")
    page.get_by_role("button", name="Create and place").click()
    page.locator("h1", has_text="Content selected").wait_for()  # the return form posted itself to the LMS
    [post] = lms.endpoint.posts
    registration = lms.platform.lti1p3_registration(f"{lms.url}/lti/launch")
    registration.set_tool_key_set(client.get("/lti/jwks").json())
    [item] = _Conf(registration=registration).validate_deeplinking_resp({"JWT": post["JWT"][0]})
    badge = Achievement.objects.get(name="Data Literacy Foundations")
    assert item["custom"] == {BADGE_PARAMETER: str(badge.uuid)} and item["lineItem"]["scoreMaximum"] == 100
    assert badge.deployment == lms.deployment and badge.image.extension == "svg"


def test_picker_with_course_badges(page, client, lms, screenshot):
    course_badge(lms, "Data Literacy Foundations", "Reads, questions and explains charts and tables.",
                 "Complete the four labs.", (DEMO / "data-literacy.svg").read_bytes())
    course_badge(lms, "Spreadsheet Modelling", "Builds a small, documented model of a real decision in a "
                 "spreadsheet and explains its assumptions to a non-specialist audience.", "Submit the model.")
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], deep_linking=True))
    assert page.locator("label.badge-pick").count() == 2
    image = page.locator("label.badge-pick img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    page.get_by_label("Spreadsheet Modelling").check()
    both_widths(page, screenshot, "lti-picker-badges")


def test_learner_page_before_and_after_earning(page, client, lms, screenshot):
    badge = course_badge(lms, "Data Literacy Foundations",
                         "Reads, questions and explains charts and tables found in the news and at work.",
                         "Complete the four data-literacy labs.\nPass the final quiz with 80% or more.",
                         (DEMO / "data-literacy.svg").read_bytes())
    custom = {BADGE_PARAMETER: str(badge.uuid)}
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="4", name="Sam Student", roles=[LEARNER], custom=custom))
    assert page.locator("h1").inner_text() == "Data Literacy Foundations"
    assert " ".join(page.get_by_role("status").inner_text().split()) == "○ Not earned yet."
    assert page.locator("section.hero img").evaluate("img => img.complete && img.naturalWidth > 0")
    both_widths(page, screenshot, "lti-learner-not-earned")

    award = award_issue(achievement=badge, learner=LtiUser.objects.get(sub="4").learner, issued_by="test")
    page.goto(launch(client, lms, sub="4", name="Sam Student", roles=[LEARNER], custom=custom))
    assert "You earned this badge" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name="View and share your credential").get_attribute("href") == award.public_id
    with page.expect_download() as download:
        page.get_by_role("link", name="Download badge (SVG)").click()
    assert b"openbadges:credential" in Path(download.value.path()).read_bytes()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lms.url)
    page.get_by_role("button", name="Copy link").click()
    page.get_by_role("button", name="Link copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == award.public_id
    both_widths(page, screenshot, "lti-learner-earned")


def test_instructor_roster(page, client, lms, screenshot):
    badge = course_badge(lms, "Data Literacy Foundations", "Reads, questions and explains charts and tables.",
                         "Complete the four labs.", (DEMO / "data-literacy.svg").read_bytes())
    course_badge(lms, "Spreadsheet Modelling", "Builds a small, documented spreadsheet model.", "Submit the model.")
    custom = {BADGE_PARAMETER: str(badge.uuid)}
    for sub, name in (("4", "Sam Student"), ("5", "Ada Learner"), ("6", "Noah Newcomer"),
                      ("7", "Maximiliana Featherstonehaugh-Vandersloot")):
        launch(client, lms, sub=sub, name=name, roles=[LEARNER], custom=custom)
    for sub in ("4", "7"):
        award_issue(achievement=badge, learner=LtiUser.objects.get(sub=sub).learner, issued_by="test")
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], custom=custom))
    assert "earned by 2 of 4 learners" in page.get_by_role("status").inner_text()
    assert page.locator("table.roster tbody tr").count() == 5
    assert "Spreadsheet Modelling" in page.locator("main").inner_text()
    both_widths(page, screenshot, "lti-instructor-roster")


def test_learner_progress_and_instructor_progress_column(page, client, lms, screenshot):
    from django.utils import timezone

    from lti_tool.models import CourseSync
    from lti_tool.services.criteria import achievement_rules_set
    from lti_tool.services.facts import fact_record

    badge = course_badge(lms, "Data Literacy Foundations", "Reads, questions and explains charts and tables.",
                         "Complete the labs and pass the quiz.", (DEMO / "data-literacy.svg").read_bytes())
    context = LtiContext.objects.get(deployment=lms.deployment, context_id=COURSE["id"])
    quiz = "ags:https://moodle.riverside.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
    CourseSync.objects.create(context=context, kind="ags", summary={"items": [{"key": quiz, "label": "Final quiz"}]})
    achievement_rules_set(achievement=badge, rules={"type": "all", "requirements": [
        {"type": "score", "item": quiz, "threshold": 80, "unit": "percent"},
        {"type": "at_least", "count": 2, "requirements": [
            {"type": "activity", "activity": "moodle:cm:41", "outcome": "passed"},
            {"type": "activity", "activity": "moodle:cm:42"}, {"type": "activity", "activity": "moodle:cm:43"}]},
        {"type": "evidence", "id": "portfolio", "prompt": "Share a chart you explained to someone"}]})
    custom = {BADGE_PARAMETER: str(badge.uuid)}
    launch(client, lms, sub="4", name="Sam Student", roles=[LEARNER], custom=custom)
    sam = LtiUser.objects.get(sub="4").learner
    now = timezone.now()
    fact_record(context=context, learner=sam, kind="score", key=quiz, value={"given": 86, "maximum": 100},
                source="ags", observed_at=now)
    fact_record(context=context, learner=sam, kind="activity", key="moodle:cm:41", value={"state": "complete_pass"},
                source="moodle", observed_at=now)
    fact_record(context=context, learner=sam, kind="activity", key="moodle:cm:42", value={"state": "incomplete"},
                source="moodle", observed_at=now)
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="4", name="Sam Student", roles=[LEARNER], custom=custom))
    card = page.locator("section.card", has=page.get_by_role("heading", name="Your progress"))
    assert "2 of 4 requirements met" in card.inner_text()
    assert page.locator(".progress-list li").count() == 6
    both_widths(page, screenshot, "lti-learner-progress")
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], custom=custom))
    assert page.locator("td.progress-cell").first.inner_text() == "2 / 4"
    both_widths(page, screenshot, "lti-instructor-progress")


def test_evidence_sent_reviewed_and_returned(page, client, lms, screenshot, tmp_path):
    from lti_tool.services.criteria import achievement_rules_set

    badge = course_badge(lms, "Data Storytelling", "Explains a chart to a non-specialist audience.",
                         "Record a two-minute explanation of one chart.", (DEMO / "data-literacy.svg").read_bytes())
    achievement_rules_set(achievement=badge, rules={"type": "all", "requirements": [
        {"type": "evidence", "id": "story", "prompt": "Share your two-minute chart explanation"},
        {"type": "manual", "id": "observed", "roles": ["assessor", "instructor"]}]})
    custom = {BADGE_PARAMETER: str(badge.uuid)}
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="5", name="Ada Learner", roles=[LEARNER], custom=custom))
    notes = tmp_path / "storyboard.txt"
    notes.write_text("Chart: rainfall by month, 2025. Story: the dry spring explains the late harvest.\n")
    page.get_by_label("What you did").fill("I explained the rainfall chart to my neighbour; notes attached.")
    page.get_by_label("Link").fill("https://video.example.edu/ada/rainfall")
    page.get_by_label("File").set_input_files(str(notes))
    page.get_by_role("button", name="Send for review").click()
    page.get_by_text("Your evidence was sent").wait_for()
    assert "Waiting for review" in page.locator(".evidence").inner_text()
    both_widths(page, screenshot, "lti-evidence-sent")

    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], custom=custom))
    page.get_by_role("link", name="Review evidence").click()
    page.get_by_role("heading", name="Evidence to review").wait_for()
    assert "Ada Learner" in page.locator("article.review h2").inner_text()
    both_widths(page, screenshot, "lti-evidence-review-queue")
    page.get_by_label("Comment").fill("Lovely explanation. Please add the chart itself so others can follow.")
    page.get_by_role("button", name="Return for changes").click()
    page.get_by_text("Nothing is waiting for review in this course.").wait_for()

    page.goto(launch(client, lms, sub="5", name="Ada Learner", roles=[LEARNER], custom=custom))
    assert "Please add the chart itself" in page.locator(".evidence").inner_text()
    assert page.get_by_role("button", name="Send again").is_visible()
    both_widths(page, screenshot, "lti-evidence-returned")


def test_bulk_award_from_a_csv(page, client, lms, screenshot, tmp_path):
    from lti_tool.services.bulk_jobs import bulk_awards_run_due

    badge = course_badge(lms, "Peer Mentor", "Mentored first-year students through their first term.",
                         "Mentor two first-years.", (DEMO / "data-literacy.svg").read_bytes())
    custom = {BADGE_PARAMETER: str(badge.uuid)}
    for sub, name in (("4", "Sam Student"), ("5", "Ada Learner"), ("6", "Noah Newcomer")):
        launch(client, lms, sub=sub, name=name, roles=[LEARNER], custom=custom)
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR], custom=custom))
    bad = tmp_path / "mentors.csv"
    bad.write_text("email,narrative\n4@riverside.example.edu,Mentored two students in the autumn term\n"
                   "someone@elsewhere.example.edu,\n4@riverside.example.edu,\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and award").click()
    problems = page.locator("#bulk .problems")
    problems.wait_for()
    assert "line 3: no learner of this course" in problems.inner_text()
    assert "line 4: same learner as line 2" in problems.inner_text()
    both_widths(page, screenshot, "lti-bulk-award-problems")

    good = tmp_path / "mentors-fixed.csv"
    good.write_text("email,narrative\n4@riverside.example.edu,Mentored two students in the autumn term\n"
                    "5@riverside.example.edu,Ran the weekly study group\n")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check and award").click()
    page.get_by_text("File checked").wait_for()
    assert "being issued" in page.locator("#bulk").inner_text().lower()
    assert bulk_awards_run_due() == 1
    page.reload()
    assert "2 awarded" in page.locator("#bulk").inner_text().lower()
    assert "earned by 2 of 3 learners" in page.locator("main").inner_text()
    both_widths(page, screenshot, "lti-bulk-award-done")


def test_instructor_sets_criteria_in_the_course(page, client, lms, screenshot):
    from lti_tool.models import Achievement, CourseSync

    badge = course_badge(lms, "Data Wrangler", "Cleans and documents a messy data set.",
                         "Pass the quiz and show your work.", (DEMO / "data-literacy.svg").read_bytes())
    quiz = "ags:https://moodle.riverside.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
    CourseSync.objects.create(context=badge.lti_context, kind="ags",
                              summary={"items": [{"key": quiz, "label": "Quiz 1: tidy data"}]})
    page.set_viewport_size(IFRAME)
    page.goto(launch(client, lms, sub="3", name="Tina Teacher", roles=[INSTRUCTOR],
                     custom={BADGE_PARAMETER: str(badge.uuid)}))
    editor = page.locator("#criteria")
    first = editor.locator("fieldset").nth(0)
    first.locator("select.kind").select_option("score")
    assert not first.locator("select[name=badge_0]").is_visible(), "only the fields of the chosen kind show"
    first.locator("select[name=item_0]").select_option(label="Quiz 1: tidy data")
    first.locator("input[name=threshold_0]").fill("eighty")
    second = editor.locator("fieldset").nth(1)
    second.locator("select.kind").select_option("evidence")
    second.locator("input[name=text_1]").fill("Upload your cleaned data set and a short note")
    editor.get_by_role("button", name="Save criteria").click()
    page.get_by_text("row 1: the minimum must be a number").wait_for()
    both_widths(page, screenshot, "lti-criteria-problems")
    page.locator("#criteria fieldset").nth(0).locator("input[name=threshold_0]").fill("80")
    page.locator("#criteria").get_by_role("button", name="Save criteria").click()
    page.get_by_text("Criteria saved").wait_for()
    assert Achievement.objects.get(pk=badge.pk).criteria_rules["requirements"][1]["prompt"].startswith("Upload")
    assert "Quiz 1: tidy data" in page.locator("main").inner_text()
    both_widths(page, screenshot, "lti-criteria-saved")
