"""Registrar API v1: a SIS pulls the feed by cursor and returns acknowledgements; scopes keep clients apart."""

from __future__ import annotations

import pytest

from lti_tool.models import FeedDelivery
from lti_tool.services.api_clients import api_client_create
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.feed_pull import registrar_client_create
from lti_tool.services.learners import learner_find_or_create

EVENTS = "/api/registrar/v1/events"


def token_for(client, new):
    response = client.post("/api/v1/oauth/token", {"grant_type": "client_credentials",
                                                   "client_id": str(new.client.client_id),
                                                   "client_secret": new.secret})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def sis(issuer):
    new, endpoint = registrar_client_create(issuer=issuer, name="Banner pull", identifier_types=["sisSourcedId"])
    return new, endpoint


def get(client, bearer, **query):
    return client.get(EVENTS, query, HTTP_AUTHORIZATION=f"Bearer {bearer}")


def test_the_sis_reads_the_feed_page_by_page_and_acknowledges(client, achievement, learner, sis):
    others = [learner_find_or_create(email=f"p{n}@example.edu", sis_id=f"P{n}", source="test") for n in range(2)]
    first = award_issue(achievement=achievement, learner=learner, issued_by="t")
    for person in others:
        award_issue(achievement=achievement, learner=person, issued_by="t")
    award_revoke(award=first, reason="duplicate", revoked_by="r")
    bearer = token_for(client, sis[0])
    page = get(client, bearer, limit=3)
    assert page.status_code == 200 and page["Link"].endswith('rel="next"')
    body = page.json()
    assert [e["data"]["sequence"] for e in body["events"]] == [1, 2, 3] and body["more"] is True
    assert body["events"][0]["data"]["learner"]["identifiers"] == [
        {"type": "sisSourcedId", "value": "S123", "scope": "", "source": "test"}]
    rest = get(client, bearer, after=body["last"], limit=3).json()
    assert [e["type"] for e in rest["events"]] == ["credential.revoked"] and rest["more"] is False
    assert get(client, bearer, after=rest["last"]).json()["events"] == []
    assert FeedDelivery.objects.filter(endpoint=sis[1], status="delivered").count() == 4
    assert set(FeedDelivery.objects.filter(endpoint=sis[1]).values_list("disclosed", flat=True)[0]) == {"sisSourcedId"}

    ack = client.post("/api/registrar/v1/acks", {"acks": [
        {"eventId": body["events"][0]["id"], "sisRecordId": "SHRTCKN-1", "status": "recorded"},
        {"eventId": "not-an-id"}, {"sisRecordId": "x"}]}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert ack.status_code == 207
    assert [r["outcome"] for r in ack.json()["results"]] == ["recorded", "unknown_event", "rejected"]
    assert FeedDelivery.objects.get(event__uuid=body["events"][0]["id"]).sis_record_id == "SHRTCKN-1"


@pytest.mark.parametrize("query", [{"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"limit": "5000"}])
def test_bad_cursors_are_refused(client, sis, query):
    assert get(client, token_for(client, sis[0]), **query).status_code == 400


def test_clients_stay_in_their_lane(client, course, sis):
    adapter = api_client_create(deployment=course.deployment, name="Moodle bridge")
    assert get(client, token_for(client, adapter)).status_code == 403
    registrar = token_for(client, sis[0])
    assert client.post("/api/v1/facts", {"facts": []}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {registrar}").status_code == 403
    assert get(client, "nonsense").status_code == 401
