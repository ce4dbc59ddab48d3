"""Secrets shown once across a redirect: sealed in the session, bound to it, gone when taken or stale."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from lti_tool import shown_once


@pytest.fixture
def session(db):
    store = SessionStore()
    store.create()
    return store


def test_taken_once_and_sealed_at_rest(session):
    shown_once.stash(session, "a", {"secret": "whsec_abc"})
    session.save()
    stored = SessionStore(session_key=session.session_key)
    assert "whsec_abc" not in str(dict(stored.items()))  # what the database holds is sealed
    assert shown_once.take(stored, "a") == {"secret": "whsec_abc"}
    assert shown_once.take(stored, "a") is None


def test_another_session_cannot_open_it(session):
    shown_once.stash(session, "a", {"secret": "s"})
    other = SessionStore()
    other.create()
    other[next(k for k in session.keys())] = session[next(k for k in session.keys())]
    assert shown_once.take(other, "a") is None


def test_stale_values_are_ignored_and_dropped(session, monkeypatch):
    shown_once.stash(session, "old", {"secret": "s"})
    later = shown_once.time.time() + shown_once.TTL_SECONDS + 1
    monkeypatch.setattr(shown_once.time, "time", lambda: later)
    shown_once.stash(session, "new", {"secret": "t"})
    assert [k for k in session.keys() if k.endswith("old")] == []
    assert shown_once.take(session, "new") == {"secret": "t"}
