"""The credential and verify pages in a real browser."""

from pathlib import Path

import pytest
import yaml

from lti_tool.services.achievements import achievement_define
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.images import image_store
from lti_tool.services.issuers import issuer_create
from lti_tool.services.learners import learner_find_or_create

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "lti_tool" / "demo"


def status_text(page) -> str:
    """The status banner's text with whitespace collapsed (flex layout puts the icon on its own line)."""
    return " ".join(page.get_by_role("status").inner_text().split())


@pytest.fixture
def awards(live_site):
    issuer = issuer_create(name="Riverside Community College", url="https://riverside.example.edu",
                           email="registrar@riverside.example.edu")
    spec = yaml.safe_load((DEMO / "data-literacy.yaml").read_text())
    achievement = achievement_define(issuer=issuer, spec=spec,
                                     image=image_store(data=(DEMO / "data-literacy.svg").read_bytes()))
    ada = learner_find_or_create(email="ada@riverside.example.edu", name="Ada Lovelace", source="test")
    grace = learner_find_or_create(email="grace@riverside.example.edu", name="Grace Hopper", source="test")
    valid = award_issue(achievement=achievement, learner=ada, issued_by="test",
                        evidence=[{"id": "https://lms.example.edu/x", "name": "Final assessment"}])
    revoked = award_revoke(award=award_issue(achievement=achievement, learner=grace, issued_by="test"),
                           reason="Issued to the wrong student", revoked_by="registrar")
    return valid, revoked


def test_credential_page(page, awards, screenshot, tmp_path):
    valid, _ = awards
    page.goto(valid.public_id)
    assert status_text(page).startswith("✔ Verified")
    image = page.locator("section.hero img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("table.checks .pill.fail").count() == 0
    screenshot(page, "credential-verified")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download badge (SVG, OB 3.0)").click()
    saved = tmp_path / "badge.svg"
    download_info.value.save_as(saved)
    assert b"openbadges:credential" in saved.read_bytes()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    screenshot(page, "credential-verified-mobile")


def test_revoked_credential_page(page, awards, screenshot):
    _, revoked = awards
    page.goto(revoked.public_id)
    status = status_text(page)
    assert "Revoked by the issuer" in status and "Issued to the wrong student" in status
    screenshot(page, "credential-revoked")


def test_verify_page_with_an_uploaded_badge(page, awards, screenshot, tmp_path, live_site):
    valid, _ = awards
    baked = tmp_path / "badge.svg"
    page.goto(valid.public_id)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download badge (SVG, OB 3.0)").click()
    download_info.value.save_as(baked)
    page.goto(f"{live_site}/verify")
    screenshot(page, "verify-empty")
    page.set_input_files("input[type=file]", str(baked))
    page.get_by_role("button", name="Verify").click()
    assert status_text(page).startswith("✔ Verified")
    assert "baked into a SVG image" in page.locator("#result").inner_text()
    screenshot(page, "verify-uploaded-badge")


def test_verify_page_with_junk(page, live_site, screenshot, db):
    page.goto(f"{live_site}/verify")
    page.fill("textarea", '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}')
    page.get_by_role("button", name="Verify").click()
    assert "Not verified" in status_text(page)
    screenshot(page, "verify-junk")
