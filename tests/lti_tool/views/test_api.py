"""POST /api/v1/verify: every accepted form, and clear errors for the rest."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.baking import award_baked_image

URL = "/api/v1/verify"


@pytest.fixture
def award(achievement, learner):
    return award_issue(achievement=achievement, learner=learner, issued_by="test")


def post(client, body, content_type):
    return client.post(URL, data=body, content_type=content_type)


@pytest.mark.parametrize("content_type", ["application/json", "application/ld+json", "application/vc+ld+json"])
def test_json_credential(client, award, content_type):
    response = post(client, json.dumps(award.credential), content_type)
    assert response.status_code == 200 and response.json()["verified"] is True


@pytest.mark.parametrize("content_type", ["text/plain", "application/vc+jwt"])
def test_jwt_credential(client, award, content_type):
    response = post(client, award.credential_jwt, content_type)
    assert response.json()["verified"] is True and response.json()["format"] == "ob3-vc-jwt"


def test_baked_image_bytes_and_multipart(client, award):
    baked = award_baked_image(award=award, image_format="svg")
    assert post(client, baked.data, "image/svg+xml").json()["verified"] is True
    upload = SimpleUploadedFile("badge.svg", baked.data, content_type="image/svg+xml")
    assert client.post(URL, {"file": upload}).json()["verified"] is True
    assert client.post(URL, {"credential": award.credential_jwt}).json()["verified"] is True


def test_revoked_credential_is_reported_not_raised(client, award):
    award_revoke(award=award, reason="error", revoked_by="t")
    body = post(client, json.dumps(award.credential), "application/json").json()
    assert body["verified"] is False and body["revoked"] is True
    assert any(c["check"] == "status" and c["status"] == "fail" for c in body["checks"])


@pytest.mark.parametrize(("body", "content_type", "status", "message"), [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b"\xff\xfe\x00", "text/plain", 400, "not UTF-8"),
    (b"<x/>", "application/xml", 415, "unsupported media type"),
    (b"x", "", 415, "unsupported media type"),
])
def test_malformed_requests(client, db, body, content_type, status, message):
    response = post(client, body, content_type)
    assert response.status_code == status and message in response.json()["error"]


def test_huge_payload_is_refused(client, db):
    response = post(client, b"{" + b" " * (5 * 1024 * 1024 + 10) + b"}", "application/json")
    assert response.status_code == 413


def test_garbage_gets_a_result_with_reasons(client, db):
    for body, content_type in [(b"hello", "text/plain"), (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
                               (b"[1,2]", "application/json"), (b'{"@context": "x"}', "application/json")]:
        result = post(client, body, content_type).json()
        assert result["verified"] is False and result["checks"][0]["message"]


def test_get_is_not_allowed(client, db):
    assert client.get(URL).status_code == 405
