"""Defects found in review, each pinned by a test (see the commit that fixed them)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import OutputWrapper

from lti_tool.error_reporting import AccoladeReporterFilter
from lti_tool.management.progress import ProgressBar
from lti_tool.models import Award
from lti_tool.services.achievements import parse_achievement_spec
from lti_tool.services.awards import award_issue
from lti_tool.services.bulk import bulk_rows_parse
from lti_tool.services.errors import InvalidSpecError, ServiceError
from lti_tool.services.issuers import issuer_create
from lti_tool.services.learners import learner_find_or_create


def test_error_reports_hide_the_kek(settings):
    safe = AccoladeReporterFilter().get_safe_settings()
    assert safe["ACCOLADE"]["KEK"] != settings.ACCOLADE["KEK"]
    assert "*" in safe["ACCOLADE"]["KEK"]


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "data:text/html,x", "ftp://x.edu", ""])
def test_issuer_web_site_must_be_http(db, url):
    with pytest.raises(ServiceError, match="not an http"):
        issuer_create(name="X", url=url)


def test_issuing_unit_urls_and_control_characters_are_checked():
    with pytest.raises(InvalidSpecError) as caught:
        parse_achievement_spec({"name": "Bad\x01name", "description": "d\x0bx", "criteria": "c",
                                "issuing_unit": {"name": "Unit", "url": "javascript:alert(1)"}})
    problems = "\n".join(caught.value.problems)
    assert "name: contains control characters" in problems
    assert "description: contains control characters" in problems
    assert "issuing_unit.url" in problems


def test_a_bake_that_fails_is_a_422_not_a_500(client, achievement, learner, monkeypatch):
    from lti_tool.core.baking import BakingError
    from lti_tool.views import images

    award = award_issue(achievement=achievement, learner=learner, issued_by="t")

    def refuse(**kwargs):
        raise BakingError("SVG cannot hold this text")

    monkeypatch.setattr(images, "award_baked_image", refuse)
    response = client.get(f"/credentials/{award.uuid}/badge.svg")
    assert response.status_code == 422 and b"cannot be baked" in response.content


def test_download_filename_is_ascii_and_well_formed(client, make_achievement, learner):
    award = award_issue(achievement=make_achievement(name="Données – naïve ✓"), learner=learner, issued_by="t")
    disposition = client.get(f"/credentials/{award.uuid}/badge.svg")["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and "=?utf-8?" not in disposition
    assert disposition == 'attachment; filename="donn-es-na-ve.svg"'


def test_bad_content_length_is_a_400(client, db):
    response = client.post("/api/v1/verify", data=b"{}", content_type="application/json", CONTENT_LENGTH="abc")
    assert response.status_code == 400


def test_a_taken_status_index_is_drawn_again(achievement, learner, other_learner, monkeypatch):
    """Two requests drew the same index: the unique constraint refuses the second, which draws again."""
    from lti_tool.services import awards

    first = award_issue(achievement=achievement, learner=learner, issued_by="t")
    draws = iter([first.status_index, 1234])
    monkeypatch.setattr(awards, "status_index_pick", lambda **kwargs: next(draws))
    second = award_issue(achievement=achievement, learner=other_learner, issued_by="t")
    assert second.status_index == 1234
    assert Award.objects.filter(status_list=first.status_list).count() == 2


def test_bulk_check_reports_identifiers_of_two_learners_by_line(achievement):
    learner_find_or_create(email="a@x.edu", source="t")
    learner_find_or_create(sis_id="S99", source="t")
    report = bulk_rows_parse(text="email,student_id\nok@x.edu,\na@x.edu,S99\n", achievement=achievement)
    assert report.problems == ["line 3: a@x.edu and S99 belong to two different learners"]


def test_progress_bar_redraws_on_one_line_through_django_output():
    buffer = io.StringIO()
    bar = ProgressBar(3, label="x", stream=OutputWrapper(buffer))
    for _ in range(3):
        bar.advance()
    bar.close()
    assert buffer.getvalue().count("\n") == 1


def test_oversized_upload_is_cut_off_with_413(client, db):
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024 + 10), content_type="image/png")
    assert client.post("/api/v1/verify", {"file": big}).status_code == 413
    big.seek(0)
    assert client.post("/verify", {"file": big}).status_code == 413
