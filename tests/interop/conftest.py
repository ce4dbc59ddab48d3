"""Fixtures for the interop tests: the pinned Node verifiers, installed once per session.

Without Node.js/npm the tests are skipped, unless ``ACCOLADE_REQUIRE_INTEROP=1`` (set in CI), in which
case they fail: CI must never pass by skipping the only checks made with software we did not write.
"""

from __future__ import annotations

import os

import pytest

from tests.lti_tool.conftest import achievement, issuer, learner  # noqa: F401  (shared fixtures)

from .node import InteropUnavailable, ensure_node_modules

REQUIRE_ENV = "ACCOLADE_REQUIRE_INTEROP"


@pytest.fixture(scope="session")
def node_verifiers() -> None:
    """Make sure tests/interop/node_modules matches package-lock.json (``npm ci`` if not)."""
    try:
        ensure_node_modules()
    except InteropUnavailable as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{error} ({REQUIRE_ENV}=1, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(f"interop verifiers unavailable: {error} (set {REQUIRE_ENV}=1 to make this fail)")
