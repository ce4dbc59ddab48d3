"""The feed into a OneRoster 1.2 gradebook: a token, one line item per credential, deterministic results."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.cache import cache

from lti_tool.models import FeedDelivery
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.feed_delivery import feed_deliveries_run_due, feed_replay
from lti_tool.services.feed_endpoints import feed_endpoint_create

from ..feed_receiver import Receiver, Reply

SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput"


class Gradebook:
    """A SIS gradebook provider: OAuth 2.0 client credentials, then PUT line items and results."""

    def __init__(self) -> None:
        self.line_items: dict[str, dict] = {}
        self.results: dict[str, dict] = {}
        self.tokens = 0
        self.server = Receiver(responder=self.answer)

    def answer(self, method, path, headers, body):
        if path == "/oauth/token":
            expected = "Basic " + base64.b64encode(b"accolade:s3cret").decode()
            if headers.get("Authorization") != expected or SCOPE.encode() not in body:
                return Reply(401, body=b'{"error":"invalid_client"}')
            self.tokens += 1
            return Reply(200, body=json.dumps({"access_token": f"t{self.tokens}", "expires_in": 3600}).encode())
        if headers.get("Authorization") != f"Bearer t{self.tokens}":
            return Reply(401, body=b'{"imsx_codeMajor":"failure"}')
        kind, _, sourced_id = path.removeprefix("/ims/oneroster/gradebook/v1p2/").partition("/")
        document = json.loads(body)
        if method != "PUT" or kind not in ("lineItems", "results"):
            return Reply(404)
        if kind == "results" and document["result"]["lineItem"]["sourcedId"] not in self.line_items:
            return Reply(422, body=b'{"imsx_description":"unknown lineItem"}')
        store = self.line_items if kind == "lineItems" else self.results
        store[sourced_id] = document["lineItem" if kind == "lineItems" else "result"]
        return Reply(201 if kind == "lineItems" else 200)


@pytest.fixture
def gradebook(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True, "FEED_RETRY_SCHEDULE": (1.0,) * 5}
    cache.clear()
    book = Gradebook()
    yield book
    book.server.close()


@pytest.fixture
def endpoint(issuer, gradebook):
    base = f"http://127.0.0.1:{gradebook.server.port}"
    endpoint, secret = feed_endpoint_create(issuer=issuer, name="SIS gradebook", url=base, kind="oneroster",
                                            settings={"token_url": f"{base}/oauth/token", "client_id": "accolade",
                                                      "class_sourced_id": "ECON1010-001"},
                                            oneroster_secret="s3cret")
    assert secret == ""
    return endpoint


def test_an_award_becomes_a_fully_graded_result_and_a_revocation_marks_it_for_deletion(achievement, learner,
                                                                                       endpoint, gradebook):
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    feed_deliveries_run_due()
    [(line_id, line)] = gradebook.line_items.items()
    assert line_id == f"accolade-{achievement.uuid}-ECON1010-001" and line["class"] == {"sourcedId": "ECON1010-001"}
    assert line["resultValueMax"] == 1 and line["title"] == achievement.name
    [(result_id, result)] = gradebook.results.items()
    assert result["student"] == {"sourcedId": "S123"} and result["scoreStatus"] == "fully graded"
    assert (result["status"], result["score"], result["textScore"]) == ("active", 1, "Awarded")
    assert result["metadata"]["credentialId"] == award.public_id
    award_revoke(award=award, reason="misconduct", revoked_by="r")
    feed_deliveries_run_due()
    assert list(gradebook.results) == [result_id], "the same result is replaced, never duplicated"
    assert (gradebook.results[result_id]["status"], gradebook.results[result_id]["textScore"]) == (
        "tobedeleted", "Revoked")
    assert gradebook.tokens == 1, "the token is reused"
    assert FeedDelivery.objects.filter(endpoint=endpoint, status="delivered").count() == 2
    feed_replay(endpoint=endpoint, first=1)
    feed_deliveries_run_due()
    assert len(gradebook.results) == 1 and len(gradebook.line_items) == 1


def test_an_expired_token_is_fetched_again_and_the_result_retried(achievement, learner, endpoint, gradebook):
    from datetime import timedelta

    from django.utils import timezone

    award_issue(achievement=achievement, learner=learner, issued_by="t")
    gradebook.server.script(Reply(200, body=b'{"access_token":"stale","expires_in":3600}'))
    feed_deliveries_run_due()
    failed = FeedDelivery.objects.get()
    assert failed.status == "pending" and failed.last_status == 401
    feed_deliveries_run_due(now=timezone.now() + timedelta(seconds=5))
    assert FeedDelivery.objects.get().status == "delivered" and len(gradebook.results) == 1


def test_catalog_events_do_not_go_to_a_gradebook(issuer, endpoint):
    assert sorted(endpoint.event_types) == ["credential.awarded", "credential.expired", "credential.reissued",
                                            "credential.revoked"]
