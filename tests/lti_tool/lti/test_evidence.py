"""Evidence in the course: a learner sends it, an assessor approves or returns it, the badge follows."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.models import Award, CourseFact, EvidenceSubmission, LtiContext, LtiUser
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.criteria import achievement_rules_set, evaluations_run_due
from lti_tool.services.lti_launches import BADGE_PARAMETER

from .platforms import INSTRUCTOR, LEARNER, LIS

CONTEXT = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}
TA = LIS + "membership/Instructor#TeachingAssistant"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def badge(deployment):
    course = LtiContext.objects.create(deployment=deployment, context_id=CONTEXT["id"], title=CONTEXT["title"])
    badge = achievement_create_in_course(deployment=deployment, context=course, name="Portfolio", description="d",
                                         criteria="Show your work.")
    achievement_rules_set(achievement=badge, rules={"type": "evidence", "id": "work",
                                                    "prompt": "Upload the cleaned data set and a short report"})
    return badge


def token(client, platform, badge, *, sub="learner-1", roles=None, name="Pat Learner", link="rl-1", context=CONTEXT):
    result = platform.launch(client, sub=sub, roles=roles or [LEARNER], resource_link=link, context=context,
                             custom={BADGE_PARAMETER: str(badge.uuid)}, name=name)
    assert result.response.status_code == 303, result.response.content[:600]
    client.cookies.clear()
    return parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]


def send(client, lt, **fields):
    data = {"lt": lt, "requirement": "work", **fields}
    return client.post("/lti/evidence", data)


def upload(content: bytes, name: str):
    file = BytesIO(content)
    file.name = name
    return file


def test_send_review_return_send_again_approve_award(client, deployment, platform, badge):
    lt = token(client, platform, badge)
    page = client.get("/lti/badge", {"lt": lt}).content.decode()
    assert "Upload the cleaned data set and a short report" in page and "Send for review" in page
    response = send(client, lt, text="Cleaned 4,000 rows; report attached.", file=upload(PDF, "../../report.pdf"))
    assert response.status_code == 302 and "done=submitted" in response["Location"]
    submission = EvidenceSubmission.objects.get()
    assert submission.file_name == "report.pdf" and submission.file_type == "application/pdf"
    learner = LtiUser.objects.get(sub="learner-1").learner
    assert CourseFact.objects.get(kind="evidence").value == {"state": "submitted"}
    page = client.get(response["Location"]).content.decode()
    assert "Your evidence was sent" in page and "Waiting for review" in page and "Send for review" not in page

    ta = token(client, platform, badge, sub="ta", roles=[TA], name="Tom Assistant")
    badge_page = client.get("/lti/badge", {"lt": ta}).content.decode()
    assert "<strong>1</strong> piece of evidence waiting for review" in badge_page
    queue = client.get("/lti/review", {"lt": ta}).content.decode()
    assert "Pat Learner" in queue and "Cleaned 4,000 rows" in queue and "Download report.pdf" in queue
    refused = client.post("/lti/review", {"lt": ta, "submission": str(submission.uuid), "decision": "return"})
    assert refused.status_code == 400 and b"say what to change" in refused.content
    client.post("/lti/review", {"lt": ta, "submission": str(submission.uuid), "decision": "return",
                                "comment": "Please add the row counts before and after."})
    page = client.get("/lti/badge", {"lt": lt}).content.decode()
    assert "Returned for changes" in page and "Please add the row counts" in page and "Send again" in page
    send(client, lt, text="Now with counts: 4,210 → 4,000.")
    again = EvidenceSubmission.objects.filter(status="submitted").get()
    client.post("/lti/review", {"lt": ta, "submission": str(again.uuid), "decision": "approve"})
    assert client.post("/lti/review", {"lt": ta, "submission": str(again.uuid),
                                       "decision": "approve"}).status_code == 409  # already reviewed
    evaluations_run_due()
    assert Award.objects.filter(achievement=badge, learner=learner).exists()
    assert CourseFact.objects.get(kind="evidence").value == {"state": "approved", "by": "Tom Assistant"}


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "add some text, a link or a file"),
    ({"url": "javascript:alert(1)"}, "must be a web address"),
    ({"file": ("evil.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100)}, "only PDF, PNG, JPEG or plain-text"),
    ({"file": ("page.txt", b"<html><script>alert(1)</script></html>")}, "only PDF, PNG, JPEG or plain-text"),
    ({"file": ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')}, "only PDF, PNG, JPEG or plain-text"),
    ({"file": ("big.pdf", PDF + b"0" * (5 * 1024 * 1024))}, "larger than 5 MB"),
    ({"file": ("empty.pdf", b"")}, "the file is empty"),
    ({"requirement": "other", "text": "x"}, "asks for no such evidence"),
    ({"text": "x" * 10_001}, "longer than 10,000 characters"),
])
def test_bad_evidence_is_refused_and_nothing_is_kept(client, deployment, platform, badge, fields, message):
    lt = token(client, platform, badge)
    data = dict(fields)
    if "file" in data:
        name, content = data["file"]
        data["file"] = upload(content, name)
    response = send(client, lt, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not EvidenceSubmission.objects.exists() and not CourseFact.objects.exists()


def test_files_come_back_only_as_downloads_and_only_to_who_may_see_them(client, deployment, platform, badge):
    lt = token(client, platform, badge)
    send(client, lt, file=upload(b"plain notes\n", "notes.txt"))
    submission = EvidenceSubmission.objects.get()
    mine = client.get("/lti/evidence/file", {"lt": lt, "id": str(submission.uuid)})
    assert mine.status_code == 200 and mine.content == b"plain notes\n"
    assert mine["Content-Type"] == "application/octet-stream" and mine["Content-Disposition"].startswith("attachment")
    assert mine["X-Content-Type-Options"] == "nosniff" and "sandbox" in mine["Content-Security-Policy"]
    other = token(client, platform, badge, sub="learner-2", name="Other Learner")
    assert client.get("/lti/evidence/file", {"lt": other, "id": str(submission.uuid)}).status_code == 404
    teacher = token(client, platform, badge, sub="tina", roles=[INSTRUCTOR])
    assert client.get("/lti/evidence/file", {"lt": teacher, "id": str(submission.uuid)}).status_code == 200
    elsewhere = token(client, platform, badge, sub="tina", roles=[INSTRUCTOR], link="rl-9",
                      context={"id": "course-2", "title": "Other course"})
    assert client.get("/lti/evidence/file", {"lt": elsewhere, "id": str(submission.uuid)}).status_code == 404
    assert client.get("/lti/review", {"lt": elsewhere}).content.decode().count("Pat Learner") == 0


def test_learners_cannot_review(client, deployment, platform, badge):
    lt = token(client, platform, badge)
    assert client.get("/lti/review", {"lt": lt}).status_code == 403


def test_a_second_submission_waits_for_the_first_review(client, deployment, platform, badge):
    lt = token(client, platform, badge)
    send(client, lt, text="first")
    response = send(client, lt, text="second")
    assert response.status_code == 400 and "already waiting for review" in response.content.decode()
    assert re.findall(r"Waiting for review", response.content.decode())


def test_instructor_awards_revokes_and_signs_off_from_the_roster(client, deployment, platform, badge):
    from lti_tool.models import Award

    achievement_rules_set(achievement=badge, rules={"type": "all", "requirements": [
        {"type": "manual", "id": "observed", "roles": ["assessor", "instructor"]}]})
    token(client, platform, badge)  # the learner is a member of the course
    learner = LtiUser.objects.get(sub="learner-1").learner
    ta = token(client, platform, badge, sub="ta", roles=[TA], name="Tom Assistant")
    page = client.get("/lti/badge", {"lt": ta}).content.decode()
    assert "Sign off “observed”" in page and "Award now" not in page  # assessors sign off, do not award
    response = client.post("/lti/roster", {"lt": ta, "learner": str(learner.uuid), "action": "grant",
                                           "requirement": "observed"})
    assert response.status_code == 302 and "done=signed" in response["Location"]
    assert CourseFact.objects.get(kind="grant").value == {"role": "assessor", "by": "Tom Assistant"}
    assert client.post("/lti/roster", {"lt": ta, "learner": str(learner.uuid), "action": "award"}).status_code == 400
    evaluations_run_due()
    [award] = Award.objects.filter(achievement=badge, learner=learner)
    assert award.source == "rule"

    tina = token(client, platform, badge, sub="tina", roles=[INSTRUCTOR], name="Tina Teacher")
    refused = client.post("/lti/roster", {"lt": tina, "learner": str(learner.uuid), "action": "revoke"})
    assert refused.status_code == 400 and b"a revocation needs a reason" in refused.content
    client.post("/lti/roster", {"lt": tina, "learner": str(learner.uuid), "action": "revoke",
                                "reason": "Observed by the wrong assessor"})
    award.refresh_from_db()
    assert award.revoked_by == "Tina Teacher" and award.revocation_reason == "Observed by the wrong assessor"
    client.post("/lti/roster", {"lt": tina, "learner": str(learner.uuid), "action": "award"})
    assert Award.objects.filter(achievement=badge, learner=learner, revoked_at=None).get().source == "instructor"


def test_roster_actions_reach_only_this_course(client, deployment, platform, badge):
    outsider = token(client, platform, badge, sub="x", name="Outsider", link="rl-9",
                     context={"id": "course-2", "title": "Other"})  # member of course-2 only
    learner = LtiUser.objects.get(sub="x").learner
    tina = token(client, platform, badge, sub="tina", roles=[INSTRUCTOR])
    assert client.post("/lti/roster", {"lt": tina, "learner": str(learner.uuid), "action": "award"}).status_code == 404
    lt = token(client, platform, badge)
    assert client.post("/lti/roster", {"lt": lt, "learner": str(learner.uuid), "action": "award"}).status_code == 403
    assert outsider


def test_roster_export_is_csv_safe_for_spreadsheets(client, deployment, platform, badge):
    token(client, platform, badge, name="=HYPERLINK(\"http://evil\")")
    tina = token(client, platform, badge, sub="tina", roles=[INSTRUCTOR])
    response = client.get("/lti/roster.csv", {"lt": tina})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "name,email,sis_id,earned_on,credential,progress_done,progress_needed,requirement:work"
    assert lines[1].startswith("\"'=HYPERLINK") and lines[1].endswith(",0,1,not_met")
    learner = token(client, platform, badge)
    assert client.get("/lti/roster.csv", {"lt": learner}).status_code == 403
