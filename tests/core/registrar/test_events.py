"""CloudEvents for one destination: only the identifiers it may receive, thin or full."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_tool.core.registrar.events import FULL, Disclosure, StoredEvent, disclosed_types, render, wanted

EVENT = StoredEvent(
    id="7b1e0c52-2f9e-4a8e-9a59-3f5a0c7d8e21", position=48213, type="credential.awarded",
    subject="https://badges.example.edu/credentials/3f2a", time=datetime(2026, 5, 1, 14, 3, tzinfo=UTC),
    data={"credential": {"id": "https://badges.example.edu/credentials/3f2a", "status": "active"},
          "learner": {"id": "urn:uuid:aa", "name": "Ana Student", "matchStatus": "matched", "identifiers": [
              {"type": "sisSourcedId", "value": "0042", "scope": "", "source": "csv"},
              {"type": "emailAddress", "value": "ana@example.edu", "scope": "", "source": "lti-launch"},
              {"type": "ltiUserId", "value": "a6d5", "scope": "https://lms.example.edu", "source": "lti"}]}})


def test_a_thin_event_carries_only_the_allowed_identifiers():
    event = render(EVENT, source="https://badges.example.edu/issuers/1", schema_base="https://badges.example.edu/s",
                   disclosure=Disclosure(frozenset({"sisSourcedId"})), credential={"proof": "x"})
    assert {k: event[k] for k in ("specversion", "id", "type", "time")} == {
        "specversion": "1.0", "id": EVENT.id, "type": "credential.awarded", "time": "2026-05-01T14:03:00Z"}
    assert event["dataschema"] == "https://badges.example.edu/s/credential.awarded/1"
    assert event["data"]["sequence"] == 48213
    assert event["data"]["learner"] == {"id": "urn:uuid:aa", "matchStatus": "matched", "identifiers": [
        {"type": "sisSourcedId", "value": "0042", "scope": "", "source": "csv"}]}
    assert "ana@example.edu" not in str(event) and "Ana Student" not in str(event) and "proof" not in str(event)
    assert disclosed_types(event) == ["sisSourcedId"]


def test_a_full_event_adds_the_name_and_the_signed_credential():
    event = render(EVENT, source="s", schema_base="b", credential={"proof": "x"},
                   disclosure=Disclosure(frozenset({"sisSourcedId", "emailAddress"}), FULL))
    assert event["data"]["learner"]["name"] == "Ana Student" and event["data"]["signedCredential"] == {"proof": "x"}
    assert disclosed_types(event) == ["emailAddress", "sisSourcedId", "name"]


def test_catalog_events_carry_no_learner():
    catalog = StoredEvent(id="e", position=1, type="achievement.approved", subject="a", time=EVENT.time,
                          data={"achievement": {"name": "Data Literacy"}})
    event = render(catalog, source="s", schema_base="b", disclosure=Disclosure(frozenset({"sisSourcedId"})))
    assert "learner" not in event["data"] and disclosed_types(event) == []


def test_subscriptions_and_bad_payload_modes():
    assert wanted("credential.revoked", []) and wanted("credential.revoked", ["credential.revoked"])
    assert not wanted("achievement.approved", ["credential.awarded"])
    with pytest.raises(ValueError):
        Disclosure(frozenset(), "everything")
