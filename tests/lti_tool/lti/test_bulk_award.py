"""Bulk award from a CSV in the course: checked in the request, issued in the background, all or nothing."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.models import Award, BulkAwardJob, FeedEvent, LtiContext, LtiUser
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.bulk_jobs import bulk_awards_run_due
from lti_tool.services.lti_launches import BADGE_PARAMETER

from .platforms import INSTRUCTOR, LEARNER

CONTEXT = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}


@pytest.fixture
def badge(deployment):
    course = LtiContext.objects.create(deployment=deployment, context_id=CONTEXT["id"], title=CONTEXT["title"])
    return achievement_create_in_course(deployment=deployment, context=course, name="Peer Mentor", description="d",
                                        criteria="Mentored two first-years.")


def token(client, platform, badge, *, sub, roles=None, name="", email="", context=CONTEXT):
    result = platform.launch(client, sub=sub, roles=roles or [LEARNER], resource_link="rl-1", context=context,
                             custom={BADGE_PARAMETER: str(badge.uuid)}, name=name or sub, email=email)
    assert result.response.status_code == 303, result.response.content[:600]
    client.cookies.clear()
    return parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]


@pytest.fixture
def course_people(client, platform, badge):
    for sub, name, email in (("u-ana", "Ana", "ana@example.edu"), ("u-ben", "Ben", "ben@example.edu"),
                             ("u-cy", "Cy", "cy@example.edu")):
        token(client, platform, badge, sub=sub, name=name, email=email)
    token(client, platform, badge, sub="u-out", name="Outsider", email="out@example.edu",
          context={"id": "course-2", "title": "Other"})
    return token(client, platform, badge, sub="u-tina", roles=[INSTRUCTOR], name="Tina Teacher",
                 email="tina@example.edu")


def send(client, lt, text: str | bytes, name="awards.csv"):
    file = BytesIO(text.encode() if isinstance(text, str) else text)
    file.name = name
    return client.post("/lti/roster/bulk", {"lt": lt, "csv": file})


def test_a_good_file_is_queued_then_issued_with_evidence_and_narrative(client, badge, course_people):
    response = send(client, course_people, "email,user_id,evidence_url,narrative\n"
                                           "ANA@example.edu,,https://portfolio.example.edu/ana,Led the study group\n"
                                           ",u-ben,,\n")
    assert response.status_code == 302 and "done=bulk" in response["Location"]
    job = BulkAwardJob.objects.get()
    assert job.status == "queued" and job.file_name == "awards.csv" and job.requested_by == "Tina Teacher"
    assert Award.objects.count() == 0, "the request only checks and queues"
    assert bulk_awards_run_due() == 1
    job.refresh_from_db()
    assert (job.status, job.issued_count) == ("done", 2)
    ana = Award.objects.get(learner=LtiUser.objects.get(sub="u-ana").learner)
    assert ana.source == "bulk-csv" and ana.issued_by == "Tina Teacher" and ana.narrative == "Led the study group"
    assert ana.evidence == [{"id": "https://portfolio.example.edu/ana"}]
    assert FeedEvent.objects.filter(type="credential.awarded").count() == 2
    page = client.get("/lti/badge", {"lt": course_people}).content.decode()
    assert "2 awarded" in page and "awards.csv" in page


def test_bad_rows_are_reported_by_line_and_nothing_is_queued(client, badge, course_people):
    response = send(client, course_people, "email,student_id,evidence_url\n"
                                           "ana@example.edu,,https://ok.example.edu\n"
                                           "out@example.edu,,\n"
                                           "nobody@example.edu,,\n"
                                           "ana@example.edu,,\n"
                                           "ben@example.edu,,javascript:alert(1)\n")
    page = response.content.decode()
    assert response.status_code == 400 and "Nothing was awarded" in page
    assert "line 3: no learner of this course has email &#x27;out@example.edu&#x27;" in page  # another course
    assert "line 4: no learner of this course has email" in page
    assert "line 5: same learner as line 2" in page
    assert "line 6: evidence_url" in page
    assert BulkAwardJob.objects.count() == 0 and Award.objects.count() == 0


def test_identifiers_that_disagree_or_name_staff_are_refused(client, badge, course_people):
    page = send(client, course_people, "email,user_id\nana@example.edu,u-ben\ntina@example.edu,\n").content.decode()
    assert "line 2: user_id u-ben and email ana@example.edu do not name one learner" in page
    assert "line 3: no learner of this course has email" in page  # instructors are not awarded by the file


def test_holders_are_reported_and_the_roster_export_comes_back(client, badge, course_people):
    from lti_tool.services.awards import award_issue

    award_issue(achievement=badge, learner=LtiUser.objects.get(sub="u-cy").learner, issued_by="t")
    export = client.get("/lti/roster.csv", {"lt": course_people}).content.decode("utf-8-sig")
    page = send(client, course_people, export).content.decode()
    assert "already holds Peer Mentor" in page and "unknown column" not in page
    kept = "\n".join(line for line in export.splitlines() if "cy@example.edu" not in line)
    assert send(client, course_people, kept).status_code == 302
    bulk_awards_run_due()
    assert BulkAwardJob.objects.get().issued_count == 2


@pytest.mark.parametrize(("content", "problem"), [
    (b"\xff\xfe\x00e\x00m", "not UTF-8 text"),
    ("", "file is empty or has no header row"),
    ("name\nAna\n", "needs an &#x27;user_id&#x27; or"),
    ("email,shoe_size\nana@example.edu,9\n", "unknown column(s) shoe_size"),
    ("email\n", "file has no data rows"),
    ('email\n"ana@example.edu\n', "malformed CSV"),
])
def test_broken_files_get_a_clear_answer(client, badge, course_people, content, problem):
    response = send(client, course_people, content)
    assert response.status_code == 400 and problem in response.content.decode()
    assert BulkAwardJob.objects.count() == 0


def test_only_instructors_send_files(client, platform, badge, course_people):
    learner = token(client, platform, badge, sub="u-ana", name="Ana", email="ana@example.edu")
    assert send(client, learner, "email\nana@example.edu\n").status_code == 403
    assert "Award many at once" not in client.get("/lti/badge", {"lt": learner}).content.decode()


def test_a_row_that_fails_at_issue_time_fails_the_whole_job(client, badge, course_people):
    from lti_tool.services.awards import award_issue

    send(client, course_people, "email\nana@example.edu\nben@example.edu\n")
    award_issue(achievement=badge, learner=LtiUser.objects.get(sub="u-ben").learner, issued_by="someone else")
    bulk_awards_run_due()
    job = BulkAwardJob.objects.get()
    assert job.status == "failed" and "line 3" in job.problem and "nothing was issued" in job.problem
    assert not Award.objects.filter(learner__lti_accounts__sub="u-ana").exists()
    page = client.get("/lti/badge", {"lt": course_people}).content.decode()
    assert "Not awarded" in page


def test_a_crash_mid_run_rolls_back_and_the_job_runs_again(client, badge, course_people, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from lti_tool.services import bulk as bulk_service

    send(client, course_people, "email\nana@example.edu\nben@example.edu\n")
    real, calls = bulk_service.award_issue, []

    def crash_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(bulk_service, "award_issue", crash_on_second)
    bulk_awards_run_due()
    job = BulkAwardJob.objects.get()
    assert job.status == "queued" and "database went away" in job.problem and Award.objects.count() == 0
    bulk_awards_run_due(now=timezone.now() + timedelta(minutes=5))
    job.refresh_from_db()
    assert (job.status, job.issued_count, Award.objects.count()) == ("done", 2, 2)
