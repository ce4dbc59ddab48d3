"""Verify credentials handed to the service (pasted JSON, JWTs, baked images, URLs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from ..core.api import verify
from ..core.data import VerificationResult
from .canonicalizer import shared_canonicalizer
from .resolution import document_resolver


def credential_verify(*, data: Any, now: datetime | None = None, allow_remote: bool | None = None
                      ) -> VerificationResult:
    """Verify ``data`` in any supported form; never raises on bad input."""
    return verify(data, now=now or timezone.now(), resolver=document_resolver(allow_remote=allow_remote),
                  canonicalizer=shared_canonicalizer())
