"""Verify Open Badges 2.0 assertions, signed (JWS) and hosted (OB 2.0 §"Verification").

Signed: the key comes from the issuer's ``publicKey``; the CryptographicKey must name the issuer as
``owner``; revocation through the issuer's ``revocationList``. Hosted: the assertion is fetched from
its own HTTPS ``id``; HTTP 410 or ``revoked: true`` means revoked; the badge and issuer must be on
the assertion's origin unless the issuer's ``verification`` allows others.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ...jose import ParsedJws, verify_signature
from ...keys import KeyFormatError, rsa_from_pem
from ...ports import ResolveError, Resolver
from ...timefmt import TimeFormatError, parse_datetime
from .ob3 import CLOCK_SKEW
from .report import Report, as_list


def verify_signed(parsed: ParsedJws, *, resolver: Resolver, now: datetime, report: Report) -> None:
    """Verify an OB 2.0 signed assertion."""
    assertion = parsed.payload
    report.credential = assertion if isinstance(assertion, dict) else None
    if not _check_shape(assertion, report, "SignedBadge"):
        return
    issuer = _issuer_of(assertion, resolver, report)
    if issuer is None:
        return
    key_urls = as_list(issuer.get("publicKey"))
    creator = assertion["verification"].get("creator")
    if creator:
        if creator not in key_urls:
            report.fail("issuer_key", f"verification.creator {creator} is not one of the issuer's public keys")
            return
        key_urls = [creator]
    if not key_urls:
        report.fail("key", "issuer profile lists no publicKey")
        return
    for key_url in key_urls:
        key = _key_document(key_url, resolver, report)
        if key is None:
            continue
        if key.get("owner") != issuer.get("id"):
            report.fail("issuer_key", f"key {key_url} is owned by {key.get('owner')!r}, not by the issuer")
            return
        try:
            public_key = rsa_from_pem(key.get("publicKeyPem"))
        except KeyFormatError as error:
            report.fail("key", str(error))
            return
        if verify_signature(parsed, public_key):
            report.signature_ok = True
            report.ok("issuer_key", f"key {key_url} belongs to the issuer")
            report.ok("signature", "RS256 signature is valid")
            break
    else:
        report.fail("signature", "no issuer key verifies the signature: the assertion was altered or forged")
        return
    _check_revocation_list(assertion, issuer, resolver, report)
    _check_expiry(assertion, now, report)


def verify_hosted(assertion: Mapping[str, Any] | None, url: str | None, *, resolver: Resolver, now: datetime,
                  report: Report) -> None:
    """Verify an OB 2.0 hosted assertion given as JSON, or by its URL."""
    url = url or (assertion.get("id") if isinstance(assertion, Mapping) else None)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        report.fail("structure", "hosted assertion id must be an HTTP(S) URL")
        return
    try:
        hosted = resolver(url)
    except ResolveError as error:
        if error.status == 410:
            report.revoked = True
            report.fail("status", "issuer reports the assertion as revoked (HTTP 410 Gone)")
        else:
            report.fail("key", f"could not retrieve the hosted assertion: {error}")
        return
    report.credential = hosted if isinstance(hosted, dict) else None
    if not _check_shape(hosted, report, "HostedBadge"):
        return
    if assertion is not None and _without_image(assertion) != _without_image(hosted):
        report.fail("signature", "assertion differs from the copy the issuer hosts at its id")
        return
    if hosted.get("id") != url:
        report.fail("signature", f"hosted assertion id {hosted.get('id')!r} is not its URL {url}")
        return
    issuer = _issuer_of(hosted, resolver, report)
    if issuer is None:
        return
    if not _same_origin_allowed(url, issuer):
        report.fail("issuer_key", "assertion is not hosted on the issuer's origin")
        return
    report.signature_ok = True
    report.ok("issuer_key", "assertion is hosted on the issuer's origin")
    report.ok("signature", "hosted assertion matches the issuer's copy")
    if hosted.get("revoked"):
        report.revoked = True
        reason = hosted.get("revocationReason")
        report.fail("status", "assertion has been revoked" + (f": {reason}" if reason else ""))
    else:
        report.ok("status", "not revoked")
    _check_expiry(hosted, now, report)


def _check_shape(assertion: Any, report: Report, verification_type: str) -> bool:
    problems = []
    if not isinstance(assertion, Mapping):
        report.fail("structure", "assertion is not a JSON object")
        return False
    if assertion.get("type") not in ("Assertion", ["Assertion"]):
        problems.append("type must be Assertion")
    for member in ("id", "recipient", "badge", "verification", "issuedOn"):
        if member not in assertion:
            problems.append(f"{member} is required")
    verification = assertion.get("verification")
    if isinstance(verification, Mapping) and verification.get("type") not in (verification_type,
                                                                              verification_type.replace("Badge", "")):
        problems.append(f"verification.type must be {verification_type}")
    elif not isinstance(verification, Mapping):
        problems.append("verification must be an object")
    for problem in problems:
        report.fail("structure", problem)
    if not problems:
        report.ok("structure", "assertion has the Open Badges 2.0 shape")
    return not problems


def _issuer_of(assertion: Mapping[str, Any], resolver: Resolver, report: Report) -> Mapping[str, Any] | None:
    badge = assertion.get("badge")
    try:
        badge = resolver(badge) if isinstance(badge, str) else badge
        reference = badge.get("issuer") if isinstance(badge, Mapping) else None
        issuer_url = reference.get("id") if isinstance(reference, Mapping) else reference
        # Trust only the profile served at the issuer's own id: an embedded copy, or a document
        # served elsewhere, can name any issuer and list any key or allowed origin.
        issuer = resolver(issuer_url) if isinstance(issuer_url, str) else None
    except ResolveError as error:
        report.fail("key", f"could not retrieve badge or issuer: {error}")
        return None
    if not isinstance(issuer, Mapping) or not isinstance(issuer.get("id"), str):
        report.fail("key", "badge does not lead to an issuer profile")
        return None
    if issuer["id"] != issuer_url:
        report.fail("issuer_key", f"issuer profile fetched from {issuer_url} says its id is {issuer['id']!r}")
        return None
    report.issuer_id = issuer["id"]
    report.details["badge"] = badge
    report.details["issuer"] = issuer
    return issuer


def _key_document(url: Any, resolver: Resolver, report: Report) -> Mapping[str, Any] | None:
    if isinstance(url, Mapping):
        return url
    try:
        document = resolver(url)
    except ResolveError as error:
        report.warn("key", f"could not retrieve key {url}: {error}")
        return None
    return document if isinstance(document, Mapping) else None


def _check_revocation_list(assertion: Mapping[str, Any], issuer: Mapping[str, Any], resolver: Resolver,
                           report: Report) -> None:
    url = issuer.get("revocationList")
    if not url:
        report.skip("status", "issuer publishes no revocation list")
        return
    try:
        revocation_list = resolver(url)
    except ResolveError as error:
        report.fail("status", f"could not retrieve revocation list {url}: {error}")
        return
    for entry in as_list(revocation_list.get("revokedAssertions") if isinstance(revocation_list, Mapping) else None):
        entry_id = entry.get("id") if isinstance(entry, Mapping) else entry
        if entry_id in (assertion.get("id"), assertion.get("uid")):
            report.revoked = True
            reason = entry.get("revocationReason") if isinstance(entry, Mapping) else None
            report.fail("status", "assertion has been revoked" + (f": {reason}" if reason else ""))
            return
    report.ok("status", "not on the issuer's revocation list")


def _check_expiry(assertion: Mapping[str, Any], now: datetime, report: Report) -> None:
    try:
        issued = parse_datetime(assertion.get("issuedOn"))
        expires = parse_datetime(assertion["expires"]) if assertion.get("expires") else None
    except TimeFormatError as error:
        report.fail("validity", str(error))
        return
    if issued - CLOCK_SKEW > now:
        report.fail("validity", "assertion is issued in the future")
    elif expires is not None and expires + CLOCK_SKEW < now:
        report.expired = True
        report.fail("validity", f"assertion expired at {assertion['expires']}")
    else:
        report.ok("validity", f"issued {assertion.get('issuedOn')}" + (f", expires {assertion['expires']}"
                                                                      if expires else ""))


def _same_origin_allowed(url: str, issuer: Mapping[str, Any]) -> bool:
    origin = urlsplit(url).netloc
    if origin == urlsplit(str(issuer.get("id"))).netloc:
        return True
    verification = issuer.get("verification")
    if isinstance(verification, Mapping):
        allowed = as_list(verification.get("allowedOrigins"))
        starts = as_list(verification.get("startsWith"))
        return origin in allowed or any(isinstance(s, str) and url.startswith(s) for s in starts)
    return False


def _without_image(assertion: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in assertion.items() if key != "image"}

