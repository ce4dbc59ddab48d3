"""Fixtures for the framework-free core tests: no Django, no database, no network.

Shared inputs (fixed clock, keys, claims, an in-memory issuer) live in ``fixtures/corekit.py`` so that
``fixtures/make_golden.py`` builds the golden files from exactly the same inputs.
"""

from __future__ import annotations

import pytest

from lti_tool.core.jsonld.canonicalize import Canonicalizer
from tests.core.fixtures.corekit import IssuerWorld


@pytest.fixture(scope="session")
def canonicalizer() -> Canonicalizer:
    """One canonicalizer over the pinned contexts, shared like the production default."""
    return Canonicalizer()


@pytest.fixture
def world(canonicalizer: Canonicalizer) -> IssuerWorld:
    """A fresh HTTPS issuer with its controller document, keys and two empty status lists."""
    return IssuerWorld(canonicalizer)
