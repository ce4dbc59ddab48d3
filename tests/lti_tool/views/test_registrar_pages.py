"""The registrar's page: only for the issuer's registrars; approve, return, match learners, download reports."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from lti_tool.models import AchievementChange, FeedDelivery
from lti_tool.services.achievements import achievement_define
from lti_tool.services.awards import award_issue
from lti_tool.services.feed_endpoints import feed_endpoint_create
from lti_tool.services.learners import learner_find_or_create

from ..conftest import BASIC_SPEC


@pytest.fixture
def rita(client, issuer):
    out = StringIO()
    call_command("registrar_grant", str(issuer.uuid), "rita", "--create", "--name", "Rita Registrar", stdout=out)
    password = out.getvalue().rsplit(": ", 1)[1].strip()
    signed_in = client.post("/registrar/login/", {"username": "rita", "password": password,
                                                  "next": f"/registrar/{issuer.uuid}"})
    assert signed_in.status_code == 302 and signed_in["Location"] == f"/registrar/{issuer.uuid}", signed_in.content
    return client


def page(client, issuer, **query):
    response = client.get(f"/registrar/{issuer.uuid}", query)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_strangers_and_other_registrars_are_kept_out(client, issuer):
    to_sign_in = client.get(f"/registrar/{issuer.uuid}")
    assert to_sign_in.status_code == 302 and to_sign_in["Location"].startswith("/registrar/login/")
    assert b"Registrar sign-in" in client.get(to_sign_in["Location"]).content
    assert client.post("/registrar/login/", {"username": "nobody", "password": "x"}).status_code == 200
    client.force_login(User.objects.create_user("sam", password="x"))
    assert client.get(f"/registrar/{issuer.uuid}").status_code == 404
    assert client.get("/registrar/").status_code == 403


def test_approve_and_return_from_the_queue(rita, issuer):
    submitted = achievement_define(issuer=issuer, spec={**BASIC_SPEC, "name": "Data Literacy", "status": "submitted"})
    other = achievement_define(issuer=issuer, spec={**BASIC_SPEC, "name": "Spreadsheets", "status": "submitted"})
    assert rita.get("/registrar/").status_code == 302  # one issuer: straight to it
    html = page(rita, issuer)
    assert "Data Literacy" in html and "Spreadsheets" in html
    done = rita.post(f"/registrar/{issuer.uuid}/achievements/{submitted.uuid}", {"action": "approve", "note": "ok"})
    assert "approved" in done["Location"]
    refused = rita.post(f"/registrar/{issuer.uuid}/achievements/{other.uuid}", {"action": "return", "note": ""})
    assert "error=" in refused["Location"]
    rita.post(f"/registrar/{issuer.uuid}/achievements/{other.uuid}", {"action": "return", "note": "Add outcomes"})
    change = AchievementChange.objects.filter(achievement=submitted, action="approved").get()
    assert change.actor == "Rita Registrar"
    submitted.refresh_from_db()
    other.refresh_from_db()
    assert (submitted.status, other.status) == ("approved", "draft")


def test_unmatched_learners_are_matched_from_the_page(rita, issuer, achievement, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    feed_endpoint_create(issuer=issuer, name="Banner", url="http://127.0.0.1:9/hook")
    newcomer = learner_find_or_create(email="new@example.edu", name="Nia Newcomer", source="test")
    award_issue(achievement=achievement, learner=newcomer, issued_by="t")
    html = page(rita, issuer)
    assert "Nia Newcomer" in html and "1 event waiting" in html
    rita.post(f"/registrar/{issuer.uuid}/learners/{newcomer.uuid}/sis-id", {"sis_id": "S777"})
    assert not FeedDelivery.objects.filter(status="parked").exists()
    conflict = rita.post(f"/registrar/{issuer.uuid}/learners/{newcomer.uuid}/sis-id", {"sis_id": "S123"})
    assert "error=" in conflict["Location"]


def test_reports_download_as_csv(rita, issuer, achievement, learner, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    feed_endpoint_create(issuer=issuer, name="Banner", url="http://127.0.0.1:9/hook")
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    response = rita.get(f"/registrar/{issuer.uuid}/reconciliation.csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("sequence,event_id,event_type") and len(lines) == 2
    assert award.public_id in lines[1] and ",S123," in lines[1] and ",matched," in lines[1]
    disclosures = b"".join(rita.get(f"/registrar/{issuer.uuid}/disclosures.csv").streaming_content).decode()
    assert disclosures.splitlines() == ["delivered_at,recipient,recipient_kind,event_id,event_type,learner,"
                                        "identifier_types_disclosed"]  # nothing delivered yet
    html = page(rita, issuer)
    assert "<strong>1</strong> awarded" in html


def test_the_registrar_adds_destinations_and_sees_secrets_once(rita, issuer, settings):
    from lti_tool.models import ApiClient, FeedEndpoint

    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    added = rita.post(f"/registrar/{issuer.uuid}/endpoints", {
        "kind": "webhook", "name": "Banner", "url": "http://127.0.0.1:9/hook", "identifier_types": ["sisSourcedId"],
        "payload": "thin"})
    banner = FeedEndpoint.objects.get(name="Banner")
    assert added.status_code == 302 and added["Location"].endswith(f"added={banner.uuid}#secrets")  # PRG
    assert rita.head(added["Location"]).status_code == 200  # a link preview's HEAD takes nothing away
    shown = rita.get(added["Location"])
    html = shown.content.decode()
    assert "copy these now" in html and "whsec_" in html and shown["Cache-Control"] == "private, no-store"
    assert banner.identifier_types == ["sisSourcedId"]
    again = rita.get(added["Location"]).content.decode()
    assert "whsec_" not in again and "whsec_" not in page(rita, issuer), "the secret is shown once"
    assert FeedEndpoint.objects.filter(name="Banner").count() == 1
    pulled = rita.get(rita.post(f"/registrar/{issuer.uuid}/endpoints",
                                {"kind": "pull", "name": "Ethos"})["Location"]).content.decode()
    client = ApiClient.objects.get(issuer=issuer)
    assert str(client.client_id) in pulled and "/api/registrar/v1/events?after=0" in pulled
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": False}
    refused = rita.post(f"/registrar/{issuer.uuid}/endpoints", {"kind": "webhook", "name": "x",
                                                                "url": "http://10.0.0.9/hook"})
    assert refused.status_code == 302 and "cannot+send+to" in refused["Location"]
