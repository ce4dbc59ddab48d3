"""Assertions shared by the verification tests."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.core.api import verify
from lti_tool.core.data import VerificationResult
from tests.core.fixtures.corekit import CLOCK, IssuerWorld

LATER = CLOCK + timedelta(days=1)


def run(world: IssuerWorld, data, *, now=LATER) -> VerificationResult:
    return verify(data, now=now, resolver=world.resolve, canonicalizer=world.canonicalizer)


def assert_verified(result: VerificationResult) -> None:
    assert result.verified is True, result.as_dict()
    assert all(check.status in ("pass", "skip") for check in result.checks), result.as_dict()
    assert not result.revoked and not result.expired


def assert_fails(result: VerificationResult, check: str, fragment: str | None = None) -> None:
    assert result.verified is False, result.as_dict()
    failed = [c for c in result.checks if c.name == check and c.status == "fail"]
    assert failed, f"expected check {check!r} to fail: {result.as_dict()}"
    if fragment is not None:
        assert any(fragment in c.message for c in failed), [c.message for c in failed]
