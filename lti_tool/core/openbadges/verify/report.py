"""Collect verification checks and turn them into a :class:`VerificationResult`."""

from __future__ import annotations

from typing import Any

from ...data import Check, CheckStatus, VerificationResult


def as_list(value: Any) -> list[Any]:
    """Return a JSON value as a list: ``None`` → ``[]``, a list as is, anything else wrapped."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Report:
    """An ordered list of checks with helpers; ``verified`` iff nothing failed and a proof passed."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.checks: list[Check] = []
        self.credential: dict[str, Any] | None = None
        self.issuer_id: str | None = None
        self.revoked = False
        self.expired = False
        self.signature_ok = False
        self.details: dict[str, Any] = {}
        # Canonical N-Quads of the unsecured credential from the JSON-LD check, reused by the proof.
        self.canonical_document: str | None = None

    def add(self, name: str, status: CheckStatus, message: str) -> None:
        self.checks.append(Check(name=name, status=status, message=message))

    def ok(self, name: str, message: str) -> None:
        self.add(name, "pass", message)

    def fail(self, name: str, message: str) -> None:
        self.add(name, "fail", message)

    def warn(self, name: str, message: str) -> None:
        self.add(name, "warn", message)

    def skip(self, name: str, message: str) -> None:
        self.add(name, "skip", message)

    @property
    def failed(self) -> bool:
        return any(check.status == "fail" for check in self.checks)

    def result(self) -> VerificationResult:
        verified = self.signature_ok and not self.failed
        return VerificationResult(verified=verified, format=self.format, checks=tuple(self.checks),
                                  credential=self.credential, issuer_id=self.issuer_id, revoked=self.revoked,
                                  expired=self.expired, details=dict(self.details))
