"""Verify any badge a person may hand us: OB 3.0 JSON or VC-JWT, OB 2.0 JWS or hosted, baked images.

:func:`verify_credential` never raises on bad input: every problem becomes a failed check with a
reason in the returned :class:`~lti_tool.core.data.VerificationResult`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...data import VerificationResult
from ...jose import JwsFormatError, parse_compact
from ...jsonld.canonicalize import Canonicalizer
from ...ports import ResolveError, Resolver, memoized, no_network
from . import ob2, ob3
from .report import Report

logger = logging.getLogger(__name__)

MAX_INPUT_BYTES = 5 * 1024 * 1024
MAX_JSON_DEPTH = 48

_default_canonicalizer: Canonicalizer | None = None


def verify_credential(data: bytes | str | Mapping[str, Any], *, now: datetime, resolver: Resolver = no_network,
                      canonicalizer: Canonicalizer | None = None) -> VerificationResult:
    """Verify a credential in any supported form and say why it passes or fails.

    Args:
        data: credential JSON (text or parsed), a compact JWS, an OB 2.0 hosted assertion URL, or the
            bytes of a baked PNG/SVG.
        now: the time to judge validity and expiry against.
        resolver: fetches issuer profiles, keys and status lists by URL.
        canonicalizer: JSON-LD canonicalizer over the pinned contexts (a shared default if omitted).

    Returns:
        The verification result; ``verified`` is True only when a proof checked out and nothing failed.
    """
    try:
        return _verify(data, now=now, resolver=memoized(resolver), canonicalizer=canonicalizer or _shared())
    except Exception as error:  # verification must report, never raise
        logger.exception("verification crashed on unexpected input")
        report = Report("unknown")
        report.fail("internal", f"verification stopped on unexpected input: {type(error).__name__}")
        return report.result()


def _verify(data: Any, *, now: datetime, resolver: Resolver, canonicalizer: Canonicalizer) -> VerificationResult:
    baked = None
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_INPUT_BYTES:
            return _rejected("input is larger than 5 MiB")
        if _looks_like_image(bytes(data)):
            from ...baking import BakingError, unbake

            try:
                payload = unbake(bytes(data))
            except BakingError as error:
                return _rejected(str(error), fmt="baked-image")
            baked = payload.format
            data = payload.text
        else:
            try:
                data = bytes(data).decode("utf-8-sig")
            except UnicodeDecodeError:
                return _rejected("input is neither UTF-8 text nor a PNG/SVG image")

    if isinstance(data, str):
        text = data.strip()
        if len(text) > MAX_INPUT_BYTES:
            return _rejected("input is larger than 5 MiB")
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError) as error:
                return _rejected(f"input is not valid JSON: {error}")
        elif text.startswith(("https://", "http://")) and " " not in text:
            result = _verify_url(text, now=now, resolver=resolver, canonicalizer=canonicalizer)
            return _with_baked(result, baked)
        elif text.count(".") == 2:
            return _with_baked(_verify_jws(text, now=now, resolver=resolver, canonicalizer=canonicalizer), baked)
        else:
            return _rejected("input is not a credential: expected JSON, a JWT/JWS, a URL or a baked image")

    if not isinstance(data, Mapping):
        return _rejected("credential must be a JSON object")
    if _depth(data) > MAX_JSON_DEPTH:
        return _rejected(f"credential is nested more than {MAX_JSON_DEPTH} levels deep")
    return _with_baked(_verify_document(dict(data), now=now, resolver=resolver, canonicalizer=canonicalizer), baked)


def _verify_document(document: dict[str, Any], *, now: datetime, resolver: Resolver,
                     canonicalizer: Canonicalizer) -> VerificationResult:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "Assertion" in types:
        report = Report("ob2-hosted")
        ob2.verify_hosted(document, None, resolver=resolver, now=now, report=report)
        return report.result()
    report = Report("ob3-data-integrity")
    report.credential = document
    if not ob3.check_structure(document, report):
        return report.result()
    if ob3.check_jsonld(document, canonicalizer, report):
        ob3.check_data_integrity(document, resolver=resolver, canonicalizer=canonicalizer, report=report)
    ob3.check_status(document, resolver=resolver, canonicalizer=canonicalizer, now=now, report=report)
    ob3.check_validity(document, now=now, report=report)
    return report.result()


def _verify_jws(text: str, *, now: datetime, resolver: Resolver, canonicalizer: Canonicalizer) -> VerificationResult:
    try:
        parsed = parse_compact(text)
    except JwsFormatError as error:
        return _rejected(str(error), fmt="jws")
    payload = parsed.payload
    if isinstance(payload, Mapping) and ("recipient" in payload or payload.get("type") == "Assertion"):
        report = Report("ob2-signed")
        ob2.verify_signed(parsed, resolver=resolver, now=now, report=report)
        return report.result()
    report = Report("ob3-vc-jwt")
    try:
        credential = ob3.credential_of(parsed)
    except ValueError as error:
        report.fail("structure", str(error))
        return report.result()
    report.credential = credential
    if _depth(credential) > MAX_JSON_DEPTH:
        return _rejected(f"credential is nested more than {MAX_JSON_DEPTH} levels deep", fmt="ob3-vc-jwt")
    if not ob3.check_structure(credential, report):
        return report.result()
    ob3.check_jsonld(credential, canonicalizer, report)
    ob3.check_vc_jwt(parsed, credential, resolver=resolver, report=report)
    ob3.check_status(credential, resolver=resolver, canonicalizer=canonicalizer, now=now, report=report)
    ob3.check_validity(credential, now=now, report=report)
    return report.result()


def _verify_url(url: str, *, now: datetime, resolver: Resolver, canonicalizer: Canonicalizer) -> VerificationResult:
    try:
        document = resolver(url)
    except ResolveError as error:
        if error.status == 410:
            report = Report("ob2-hosted")
            report.revoked = True
            report.fail("status", "issuer reports the assertion as revoked (HTTP 410 Gone)")
            return report.result()
        return _rejected(f"could not retrieve {url}: {error}", fmt="url")
    if not isinstance(document, Mapping):
        return _rejected(f"{url} did not return a JSON credential", fmt="url")
    types = document.get("type")
    if "Assertion" in (types if isinstance(types, list) else [types]):
        report = Report("ob2-hosted")
        ob2.verify_hosted(None, url, resolver=resolver, now=now, report=report)
        return report.result()
    return _verify_document(dict(document), now=now, resolver=resolver, canonicalizer=canonicalizer)


def _rejected(message: str, fmt: str = "unknown") -> VerificationResult:
    report = Report(fmt)
    report.fail("parse", message)
    return report.result()


def _with_baked(result: VerificationResult, baked: str | None) -> VerificationResult:
    if baked is None:
        return result
    return replace(result, details={**result.details, "baked": baked})


def _looks_like_image(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return data.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith((b"<svg", b"<?xml", b"<!--"))


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, Mapping):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _shared() -> Canonicalizer:
    global _default_canonicalizer
    if _default_canonicalizer is None:
        _default_canonicalizer = Canonicalizer()
    return _default_canonicalizer
