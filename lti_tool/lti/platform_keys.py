"""Platform public keys for id_token signatures: cached, refreshed, refetched on an unknown ``kid``.

1EdTech Security Framework 1.0 §6.3 ("Key Set URL"): platforms rotate keys by publishing a new ``kid``
and may send ``Cache-Control: max-age``. We cache the key set for max-age (clamped between
``LTI_JWKS_MIN_CACHE`` and ``LTI_JWKS_MAX_CACHE``), and when a token names a ``kid`` we do not have,
we refetch once, at most every ``LTI_JWKS_REFETCH_INTERVAL`` seconds per registration (Brightspace
rotates about hourly; pylti1p3 never refetches: pylti1.3 issue #90).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.db import transaction
from django.utils import timezone

from ..conf import tool_settings
from ..core.keys import KeyFormatError, rsa_from_jwk
from ..core.ports import ResolveError
from ..models import LtiPlatformKeySet, LtiRegistration
from ..services.resolution import fetch


class PlatformKeyError(Exception):
    """Raise when the platform key for a token cannot be found or used."""


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


def platform_public_key(registration: LtiRegistration, kid: str) -> RSAPublicKey:
    """Return the platform's RSA key with ``kid``, fetching or refetching the key set as needed.

    Raises:
        PlatformKeyError: no such key even after a refetch, or the key set is unusable.
    """
    now = timezone.now()
    interval = timedelta(seconds=int(tool_settings.LTI_JWKS_REFETCH_INTERVAL))
    key_set = LtiPlatformKeySet.objects.filter(registration=registration).first()
    if key_set is None or key_set.fresh_until <= now:
        key_set = _refresh_or_keep_stale(registration, key_set, now=now, interval=interval)
    jwk = _find(key_set.keys, kid)
    if jwk is None:
        if key_set.last_refetch_at is None or now - key_set.last_refetch_at >= interval:
            # Claim the refetch before fetching: a failing or slow key set URL, or concurrent launches,
            # must not turn tokens with made-up kids into one outbound request each.
            claimed = LtiPlatformKeySet.objects.filter(pk=key_set.pk, last_refetch_at=key_set.last_refetch_at
                                                       ).update(last_refetch_at=now)
            if claimed:
                key_set = _refresh(registration, reason="unknown-kid")
                jwk = _find(key_set.keys, kid)
    if jwk is None:
        raise PlatformKeyError(f"the platform's key set has no key with kid {kid!r}")
    try:
        return rsa_from_jwk(jwk)
    except KeyFormatError as error:
        raise PlatformKeyError(f"platform key {kid!r} is not a usable RS256 key: {error}") from error


def _refresh_or_keep_stale(registration: LtiRegistration, key_set: LtiPlatformKeySet | None, *,
                           now, interval: timedelta) -> LtiPlatformKeySet:
    """Refresh an expired key set; while the key set URL fails, keep the expired keys for a while.

    RFC 5861 ``stale-if-error``: an LMS whose key set URL is briefly down should not stop every launch,
    and every launch must not become a request to the failing URL. The URL is tried at most once per
    ``LTI_JWKS_REFETCH_INTERVAL`` (launches meanwhile use the expired keys), and the expired keys serve
    for at most ``LTI_JWKS_STALE_IF_ERROR`` seconds past their expiry; then launches are refused until
    the URL answers again.
    """
    if key_set is None:
        return _refresh(registration, reason="expired")
    usable_stale = now - key_set.fresh_until <= timedelta(seconds=int(tool_settings.LTI_JWKS_STALE_IF_ERROR))
    due = key_set.last_refetch_at is None or now - key_set.last_refetch_at >= interval
    claimed = due and LtiPlatformKeySet.objects.filter(
        pk=key_set.pk, last_refetch_at=key_set.last_refetch_at).update(last_refetch_at=now)
    if not claimed:
        if usable_stale:
            return key_set
        raise PlatformKeyError("the platform's key set has expired and its key set URL failed recently")
    try:
        return _refresh(registration, reason="expired")
    except PlatformKeyError:
        if usable_stale:
            return key_set
        raise


def _find(keys: Any, kid: str) -> dict[str, Any] | None:
    entries = keys.get("keys") if isinstance(keys, dict) else None
    for jwk in entries if isinstance(entries, list) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "RSA" \
                and jwk.get("alg", "RS256") == "RS256" and jwk.get("use", "sig") == "sig":
            return jwk
    return None


def _refresh(registration: LtiRegistration, *, reason: str) -> LtiPlatformKeySet:
    now = timezone.now()
    try:
        response = fetch(registration.key_set_url, allow_private=bool(tool_settings.LTI_PLATFORM_ALLOW_PRIVATE))
    except ResolveError as error:
        raise PlatformKeyError(f"could not fetch the platform key set: {error}") from error
    if response.status != 200:
        raise PlatformKeyError(f"platform key set URL answered HTTP {response.status}")
    try:
        keys = json.loads(response.body)
    except (ValueError, RecursionError):
        raise PlatformKeyError("platform key set is not JSON") from None
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise PlatformKeyError("platform key set is not a JWKS ({'keys': [...]})")
    match = _MAX_AGE.search(response.headers.get("cache-control", ""))
    seconds = int(match.group(1)) if match else int(tool_settings.LTI_JWKS_DEFAULT_CACHE)
    seconds = max(int(tool_settings.LTI_JWKS_MIN_CACHE), min(seconds, int(tool_settings.LTI_JWKS_MAX_CACHE)))
    with transaction.atomic():
        key_set, _ = LtiPlatformKeySet.objects.update_or_create(
            registration=registration,
            defaults={"keys": keys, "fetched_at": now, "fresh_until": now + timedelta(seconds=seconds),
                      **({"last_refetch_at": now} if reason == "unknown-kid" else {})})
    return key_set
