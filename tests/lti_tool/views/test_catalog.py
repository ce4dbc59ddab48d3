"""The public catalog: approved credentials only, with the registrar's metadata, as a page and as JSON."""

from __future__ import annotations

from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.governance import achievement_retire


def test_only_approved_credentials_are_listed_with_their_metadata(client, issuer, make_achievement, course):
    listed = make_achievement(name="Data Literacy", credit_type="credit", credits_available="1.5", level="Introductory",
                              clock_hours="12", valid_for_days=730, sis_code="BDG-DL1", learning_outcomes=[
                                  {"name": "Reads a chart critically"}],
                              ctid="ce-1b0e8c5e-7bd6-4a39-a1e9-6f0d5b6c2a11")
    make_achievement(name="Still a draft", status="draft")
    achievement_retire(achievement=make_achievement(name="Closed programme"), actor="r")
    achievement_create_in_course(deployment=course.deployment, context=course, name="Course-only badge",
                                 description="d", criteria="c")
    document = client.get("/catalog.json").json()
    assert [c["name"] for c in document["credentials"]] == ["Data Literacy"]
    entry = document["credentials"][0]
    assert entry["id"] == listed.public_id and entry["creditType"] == "credit" and entry["creditHours"] == 1.5
    assert entry["clockHours"] == 12.0 and entry["sisCode"] == "BDG-DL1" and entry["level"] == "Introductory"
    assert entry["learningOutcomes"] == ["Reads a chart critically"]
    assert entry["expiry"] == {"validForDays": 730, "earnableUntil": None}
    assert entry["ctid"] == "ce-1b0e8c5e-7bd6-4a39-a1e9-6f0d5b6c2a11" and entry["approved"]["by"] == "registrar"
    page = client.get("/catalog", HTTP_ACCEPT="text/html").content.decode()
    assert "Data Literacy" in page and "BDG-DL1" in page and "Still a draft" not in page
    assert "Course-only badge" not in page and "Closed programme" not in page
    assert client.get("/catalog.json", {"issuer": str(issuer.uuid)}).json()["count"] == 1
    assert client.get("/catalog.json", {"issuer": "nope"}).status_code == 404
