"""Pages for people: credential page status, verify page form handling."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.baking import award_baked_image


@pytest.fixture
def award(achievement, learner):
    return award_issue(achievement=achievement, learner=learner, issued_by="test")


def page(client, url):
    return client.get(url, HTTP_ACCEPT="text/html").content.decode()


def test_credential_page_shows_verified_details_and_actions(client, award):
    html = page(client, f"/credentials/{award.uuid}")
    assert "Verified" in html and "Ana Student" in html and "Example University" in html
    assert f"/credentials/{award.uuid}/badge.svg" in html and "linkedin.com/profile/add" in html
    assert 'property="og:title"' in html


def test_credential_page_shows_revocation_reason(client, award):
    award_revoke(award=award, reason="Issued to the wrong student", revoked_by="t")
    html = page(client, f"/credentials/{award.uuid}")
    assert "Revoked by the issuer" in html and "Issued to the wrong student" in html
    assert "Verified:" not in html


def test_verify_page_accepts_text_and_files(client, award):
    assert "Verify a badge" in page(client, "/verify")
    result = client.post("/verify", {"credential": award.credential_jwt}).content.decode()
    assert "Verified" in result and "ob3-vc-jwt" in result
    baked = award_baked_image(award=award, image_format="svg")
    result = client.post("/verify", {"file": SimpleUploadedFile("b.svg", baked.data)}).content.decode()
    assert "Verified" in result and "baked into a SVG image" in result


def test_verify_page_explains_bad_input(client, db):
    empty = client.post("/verify", {})
    assert empty.status_code == 400 and "Paste a credential" in empty.content.decode()
    junk = client.post("/verify", {"credential": "not a badge"}).content.decode()
    assert "Not verified" in junk and "input is not a credential" in junk


def test_verify_page_escapes_what_it_echoes(client, db):
    html = client.post("/verify", {"credential": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_verify_by_url(client, award):
    html = client.get("/verify", {"url": award.public_id}, HTTP_ACCEPT="text/html").content.decode()
    assert "Verified" in html
