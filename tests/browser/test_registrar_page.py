"""The registrar's page and the public catalog in a real browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.auth.models import User

from lti_tool.models import RegistrarRole
from lti_tool.services.achievements import achievement_define
from lti_tool.services.awards import award_issue
from lti_tool.services.feed_endpoints import feed_endpoint_create
from lti_tool.services.images import image_store
from lti_tool.services.issuers import issuer_create
from lti_tool.services.learners import learner_find_or_create

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "lti_tool" / "demo"


def test_registrar_approves_matches_and_reads_the_catalog(page, client, live_site, screenshot, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    issuer = issuer_create(name="Riverside Community College", url="https://riverside.example.edu",
                           email="registrar@riverside.example.edu")
    spec = yaml.safe_load((DEMO / "data-literacy.yaml").read_text())
    active = achievement_define(issuer=issuer, spec=spec, image=image_store(data=(DEMO / "data-literacy.svg")
                                                                         .read_bytes()))
    achievement_define(issuer=issuer, spec={**spec, "name": "Spreadsheet Modelling", "status": "submitted",
                                            "human_code": "SPR-101"})
    feed_endpoint_create(issuer=issuer, name="Banner (Ethos pipeline)", url="http://127.0.0.1:9/hook")
    ada = learner_find_or_create(email="ada@riverside.example.edu", sis_id="R0042", name="Ada Lovelace",
                                 source="test")
    nia = learner_find_or_create(email="nia@riverside.example.edu", name="Nia Newcomer", source="test")
    for person in (ada, nia):
        award_issue(achievement=active, learner=person, issued_by="test")
    rita = User.objects.create_user("rita", password="x", first_name="Rita", last_name="Registrar")
    RegistrarRole.objects.create(user=rita, issuer=issuer)
    client.force_login(rita)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "domain": urlsplit(live_site).hostname, "path": "/"}])
    page.goto(f"{live_site}/registrar/")
    page.get_by_role("heading", name="Riverside Community College: registrar").wait_for()
    assert "Spreadsheet Modelling" in page.locator("#approvals").inner_text()
    assert "Nia Newcomer" in page.locator("#unmatched").inner_text()
    screenshot(page, "registrar-page")
    page.locator("#approvals").get_by_role("button", name="Approve").click()
    page.get_by_text("Spreadsheet Modelling: approved").wait_for()
    page.locator("#unmatched").get_by_label("Student id").fill("R0077")
    page.locator("#unmatched").get_by_role("button", name="Match and send").click()
    page.get_by_text("matched; their waiting events are on their way").wait_for()
    assert "Every learner is matched." in page.locator("#unmatched").inner_text()
    form = page.locator("#add-destination")
    form.get_by_label("Kind").select_option("pull")
    form.get_by_label("Name", exact=True).fill("Colleague (reads the feed)")
    form.get_by_role("button", name="Add").click()
    secrets = page.locator("#secrets")
    secrets.get_by_text("copy these now").wait_for()
    assert "Client secret" in secrets.inner_text()
    screenshot(page, "registrar-new-secrets")
    page.reload()  # the secrets were shown once, and the reload adds nothing
    page.get_by_role("heading", name="Riverside Community College: registrar").wait_for()
    assert page.locator("#secrets").count() == 0
    assert page.locator("#feed").inner_text().count("Colleague (reads the feed)") == 1
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "registrar-page-mobile")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_site}/catalog")
    assert "Spreadsheet Modelling" in page.locator("main").inner_text()
    screenshot(page, "catalog-page")
