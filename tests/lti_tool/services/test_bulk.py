"""Bulk issue from CSV: rows checked first, problems reported by line, all or nothing."""

import pytest

from lti_tool.models import Award, Learner
from lti_tool.services.awards import award_issue
from lti_tool.services.bulk import award_bulk_issue, bulk_rows_parse
from lti_tool.services.errors import ServiceError
from lti_tool.services.verification import credential_verify

GOOD = """email,student_id,name,evidence_url,evidence_narrative
ada@example.edu,S1,Ada,https://lms.example.edu/sub/1,Essay on risk
bob@example.edu,,Bob,,
,S3,Cy,,
"""


def test_good_file_issues_every_row(achievement):
    report = bulk_rows_parse(text=GOOD, achievement=achievement)
    assert report.problems == [] and len(report.rows) == 3
    progress = []
    award_bulk_issue(achievement=achievement, report=report, issued_by="t", on_progress=progress.append)
    assert len(report.issued) == 3 and sum(progress) == 3
    assert all(credential_verify(data=a.credential).verified for a in report.issued)
    assert report.issued[0].credential["evidence"][0]["id"] == "https://lms.example.edu/sub/1"


def test_bad_rows_are_reported_by_line_and_nothing_is_issued(achievement, learner):
    award_issue(achievement=achievement, learner=learner, issued_by="t")  # ana already holds it
    text = ("email,student_id,name,evidence_url\n"
            "good@example.edu,,Good,\n"
            "not-an-email,,X,\n"
            ",,Nobody,\n"
            "good@example.edu,,Dup,\n"
            "ana@example.edu,,Ana,\n"
            "z@example.edu,,Z,javascript:alert(1)\n"
            "extra@example.edu,,E,,surplus\n")
    report = bulk_rows_parse(text=text, achievement=achievement)
    problems = "\n".join(report.problems)
    for expected in ("line 3: 'not-an-email' is not an email", "line 4: needs an email or a student_id",
                     "line 5: same learner as line 2", "line 6: ana@example.edu already holds",
                     "line 7: evidence_url", "line 8: more fields than columns"):
        assert expected in problems, expected
    with pytest.raises(ServiceError, match="nothing was issued"):
        award_bulk_issue(achievement=achievement, report=report, issued_by="t")
    assert Award.objects.count() == 1


@pytest.mark.parametrize(("text", "message"), [
    ("", "no header"), ("name\nAda\n", "needs an 'email' or 'student_id' column"),
    ("email,colour\na@b.edu,red\n", "unknown column"), ("email\n", "no data rows"),
    ("email\n\x00\x01", "NUL"),
])
def test_broken_files(achievement, text, message):
    assert message in "\n".join(bulk_rows_parse(text=text, achievement=achievement).problems)


def test_failure_midway_rolls_back_everything(achievement, monkeypatch):
    import lti_tool.services.bulk as bulk

    report = bulk_rows_parse(text=GOOD, achievement=achievement)
    real_issue = bulk.award_issue
    calls = []

    def flaky_issue(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ServiceError("signing service unavailable")
        return real_issue(**kwargs)

    monkeypatch.setattr(bulk, "award_issue", flaky_issue)
    with pytest.raises(ServiceError, match="line 4: signing service unavailable; nothing was issued"):
        award_bulk_issue(achievement=achievement, report=report, issued_by="t")
    assert Award.objects.count() == 0 and Learner.objects.count() == 0
