"""Verify Open Badges 3.0 credentials: Data Integrity (eddsa-rdfc-2022) and VC-JWT (RS256).

Steps follow OB 3.0 §"Verification" (verification.md) in the 1EdTech validator's order: structure,
JSON-LD safe mode, proof and key binding, status, validity window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ...jose import JwsFormatError, ParsedJws, verify_signature
from ...jsonld.canonicalize import Canonicalizer, JsonLdProcessingError
from ...jsonld.safe_mode import UnsafeDocumentError
from ...keys import KeyFormatError, rsa_from_jwk
from ...ports import ResolveError, Resolver
from ...timefmt import TimeFormatError, parse_datetime
from ..compose import OB_V3_CONTEXT, VC_V2_CONTEXT
from ..data_integrity import CRYPTOSUITE, PROOF_TYPE, ProofError, verify_proof
from ..status_list import Bitstring, StatusListError
from ..vc_jwt import claim_problems, credential_of, header_problems, issuer_id
from .methods import MethodError, resolve_ed25519_method
from .report import Report, as_list

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB_CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential")
CLOCK_SKEW = timedelta(minutes=5)


def check_structure(credential: Mapping[str, Any], report: Report) -> bool:
    """Check the OB 3.0 shape (contexts, types, issuer, subject, achievement); True if usable."""
    problems: list[str] = []
    contexts = credential.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    if not contexts or contexts[0] not in (VC_V2_CONTEXT, VC_V1_CONTEXT):
        problems.append(f"first @context must be {VC_V2_CONTEXT}")
    elif contexts[0] == VC_V1_CONTEXT:
        report.warn("structure", "credential uses the legacy VC Data Model 1.1 context")
    if len(contexts) < 2 or not isinstance(contexts[1], str) or not contexts[1].startswith(OB_CONTEXT_PREFIX):
        problems.append("second @context must be the Open Badges 3.0 context")
    elif contexts[1] != OB_V3_CONTEXT:
        report.warn("structure", f"Open Badges context {contexts[1]} is not the current {OB_V3_CONTEXT}")
    types = as_list(credential.get("type"))
    if "VerifiableCredential" not in types or not any(t in types for t in OB_CREDENTIAL_TYPES):
        problems.append("type must contain VerifiableCredential and OpenBadgeCredential (or AchievementCredential)")
    if not isinstance(credential.get("id"), str) or ":" not in credential.get("id", ""):
        problems.append("id must be a URI")
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        if "Profile" not in as_list(issuer.get("type")):
            problems.append("issuer.type must contain Profile")
        if not isinstance(issuer.get("id"), str):
            problems.append("issuer.id is missing")
    elif not isinstance(issuer, str):
        problems.append("issuer is missing")
    valid_from_key = "validFrom" if contexts and contexts[0] == VC_V2_CONTEXT else "issuanceDate"
    if valid_from_key not in credential:
        problems.append(f"{valid_from_key} is required")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        problems.append("credentialSubject must be one object")
    else:
        if "AchievementSubject" not in as_list(subject.get("type")):
            problems.append("credentialSubject.type must contain AchievementSubject")
        if not subject.get("id") and not subject.get("identifier"):
            problems.append("credentialSubject needs an id or an identifier")
        achievement = subject.get("achievement")
        if not isinstance(achievement, Mapping):
            problems.append("credentialSubject.achievement is missing")
        else:
            if "Achievement" not in as_list(achievement.get("type")):
                problems.append("achievement.type must contain Achievement")
            for member in ("id", "name", "description"):
                if not achievement.get(member):
                    problems.append(f"achievement.{member} is required")
            criteria = achievement.get("criteria")
            if not isinstance(criteria, Mapping) or not (criteria.get("id") or criteria.get("narrative")):
                problems.append("achievement.criteria needs an id or a narrative")
            image = achievement.get("image")
            if image is not None and not (isinstance(image, Mapping) and image.get("type") == "Image"):
                problems.append("achievement.image must be an Image object")
    for problem in problems:
        report.fail("structure", problem)
    if not problems:
        report.ok("structure", "credential has the Open Badges 3.0 shape")
    report.issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer if isinstance(issuer, str) else None
    return not problems


def check_jsonld(credential: Mapping[str, Any], canonicalizer: Canonicalizer, report: Report) -> bool:
    """Check that JSON-LD processing keeps every value (safe mode, OB 3.0 §"Verification" step 2)."""
    try:
        report.canonical_document = canonicalizer.canonicalize({k: v for k, v in credential.items() if k != "proof"})
    except UnsafeDocumentError as error:
        for problem in error.problems[:10]:
            report.fail("jsonld", problem)
        return False
    except JsonLdProcessingError as error:
        report.fail("jsonld", str(error))
        return False
    report.ok("jsonld", "every term is defined by the pinned contexts (safe mode)")
    return True


def check_data_integrity(credential: Mapping[str, Any], *, resolver: Resolver, canonicalizer: Canonicalizer,
                         report: Report) -> None:
    """Verify an embedded ``eddsa-rdfc-2022`` proof whose key the issuer controls."""
    proofs = [p for p in as_list(credential.get("proof")) if isinstance(p, Mapping)]
    if not proofs:
        report.fail("proof", "credential has no proof")
        return
    usable = [p for p in proofs if p.get("type") == PROOF_TYPE and p.get("cryptosuite") == CRYPTOSUITE
              and p.get("proofPurpose") == "assertionMethod"]
    if not usable:
        kinds = ", ".join(sorted({f"{p.get('type')}/{p.get('cryptosuite')}" for p in proofs}))
        report.fail("proof", f"no {PROOF_TYPE} with cryptosuite {CRYPTOSUITE} for assertionMethod (found {kinds})")
        return
    proof = usable[0]
    created = None
    if "created" in proof:
        try:
            created = parse_datetime(proof["created"])
        except TimeFormatError as error:
            report.fail("proof", f"proof.created: {error}")
            return
    report.ok("proof", f"{PROOF_TYPE} {CRYPTOSUITE} for assertionMethod")
    issuer = report.issuer_id or ""
    try:
        method = resolve_ed25519_method(proof.get("verificationMethod"), issuer_id=issuer, resolver=resolver,
                                        proof_created=created)
    except MethodError as error:
        report.fail(error.check, str(error))
        return
    report.ok("issuer_key", f"key {method.method_id} is controlled by the issuer")
    try:
        valid = verify_proof(credential, proof, method.public_key, canonicalizer,
                             canonical_document=report.canonical_document)
    except (ProofError, UnsafeDocumentError, JsonLdProcessingError) as error:
        report.fail("signature", str(error))
        return
    if valid:
        report.signature_ok = True
        report.ok("signature", "Ed25519 signature over the canonical credential is valid")
    else:
        report.fail("signature", "signature does not match the credential: it was altered or signed by another key")


def check_vc_jwt(parsed: ParsedJws, credential: Mapping[str, Any], *, resolver: Resolver, report: Report) -> None:
    """Verify a VC-JWT: header rules, key at ``kid`` bound to the issuer, RS256 signature, claims."""
    problems = header_problems(parsed)
    for problem in problems:
        report.fail("proof", problem)
    if problems:
        return
    report.ok("proof", "VC-JWT with RS256")
    issuer = report.issuer_id or ""
    if "jwk" in parsed.header:
        report.fail("issuer_key", "key is embedded in the JWT header ('jwk'), so it cannot be bound to the issuer")
        return
    kid = parsed.header["kid"]
    if not isinstance(kid, str) or not kid.startswith(("https://", "http://")):
        report.fail("key", f"kid {kid!r} is not a URL that dereferences to a JWK")
        return
    try:
        document = resolver(kid)
    except ResolveError as error:
        report.fail("key", f"could not retrieve key {kid}: {error}")
        return
    jwk = _jwk_from(document, kid)
    if jwk is None:
        report.fail("key", f"{kid} does not return a JWK")
        return
    try:
        public_key = rsa_from_jwk(jwk)
    except KeyFormatError as error:
        report.fail("key", str(error))
        return
    if _kid_bound_to_issuer(kid, jwk, issuer):
        report.ok("issuer_key", f"key {kid} is published by the issuer")
    else:
        report.fail("issuer_key", f"key {kid} is not published by the issuer {issuer}")
        return
    if not verify_signature(parsed, public_key):
        report.fail("signature", "JWS signature does not match: the credential was altered or signed by another key")
        return
    report.signature_ok = True
    report.ok("signature", "RS256 signature is valid")
    for problem in claim_problems(parsed, credential):
        report.fail("claims", problem)


def check_status(credential: Mapping[str, Any], *, resolver: Resolver, canonicalizer: Canonicalizer,
                 now: datetime, report: Report) -> None:
    """Check ``credentialStatus`` (Bitstring Status List; 1EdTech Revocation List)."""
    entries = [e for e in as_list(credential.get("credentialStatus")) if isinstance(e, Mapping)]
    if not entries:
        report.skip("status", "credential has no credentialStatus")
        return
    for entry in entries:
        kind = entry.get("type")
        if kind == "BitstringStatusListEntry":
            _check_bitstring(entry, credential, resolver=resolver, canonicalizer=canonicalizer, now=now, report=report)
        elif kind == "1EdTechRevocationList":
            _check_1edtech_list(entry, credential, resolver=resolver, report=report)
        else:
            report.warn("status", f"status type {kind!r} is not supported; status not checked")


def check_validity(credential: Mapping[str, Any], *, now: datetime, report: Report) -> None:
    """Check ``validFrom``/``validUntil`` (VCDM 2.0 §4.9) with five minutes of clock skew."""
    legacy = "validFrom" not in credential
    start_key, end_key = ("issuanceDate", "expirationDate") if legacy else ("validFrom", "validUntil")
    try:
        start = parse_datetime(credential.get(start_key))
        end = parse_datetime(credential[end_key]) if credential.get(end_key) else None
    except TimeFormatError as error:
        report.fail("validity", str(error))
        return
    if start - CLOCK_SKEW > now:
        report.fail("validity", f"credential is not valid until {credential[start_key]}")
    elif end is not None and end + CLOCK_SKEW < now:
        report.expired = True
        report.fail("validity", f"credential expired at {credential[end_key]}")
    else:
        until = f" until {credential[end_key]}" if end else ""
        report.ok("validity", f"valid from {credential[start_key]}{until}")


def _check_bitstring(entry: Mapping[str, Any], credential: Mapping[str, Any], *, resolver: Resolver,
                     canonicalizer: Canonicalizer, now: datetime, report: Report) -> None:
    purpose = entry.get("statusPurpose")
    list_url = entry.get("statusListCredential")
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        report.fail("status", "statusListIndex is not an integer")
        return
    if not isinstance(list_url, str):
        report.fail("status", "statusListCredential is missing")
        return
    try:
        list_credential = resolver(list_url)
    except ResolveError as error:
        report.fail("status", f"could not retrieve status list {list_url}: {error}")
        return
    if not isinstance(list_credential, Mapping) or "BitstringStatusListCredential" not in as_list(
            list_credential.get("type")):
        report.fail("status", f"{list_url} is not a BitstringStatusListCredential")
        return
    if issuer_id(list_credential) != issuer_id(credential):
        report.fail("status", "status list was issued by someone other than the credential's issuer")
        return
    list_report = Report("status-list")
    list_report.issuer_id = issuer_id(list_credential)
    check_data_integrity(list_credential, resolver=resolver, canonicalizer=canonicalizer, report=list_report)
    check_validity(list_credential, now=now, report=list_report)
    if list_report.failed or not list_report.signature_ok:
        reasons = "; ".join(c.message for c in list_report.checks if c.status == "fail")
        report.fail("status", f"status list credential does not verify: {reasons}")
        return
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("statusPurpose") != purpose:
        report.fail("status", f"status list purpose does not match {purpose!r}")
        return
    try:
        bit = Bitstring.decode(subject.get("encodedList")).get(index)
    except StatusListError as error:
        report.fail("status", str(error))
        return
    if bit and purpose == "revocation":
        report.revoked = True
        report.fail("status", "credential has been revoked by its issuer")
    elif bit and purpose == "suspension":
        report.fail("status", "credential is suspended by its issuer")
    elif bit:
        report.warn("status", f"status bit for purpose {purpose!r} is set")
    else:
        report.ok("status", f"not {'revoked' if purpose == 'revocation' else purpose} (status list {list_url})")


def _check_1edtech_list(entry: Mapping[str, Any], credential: Mapping[str, Any], *, resolver: Resolver,
                        report: Report) -> None:
    url = entry.get("id")
    try:
        document = resolver(url) if isinstance(url, str) else None
    except ResolveError as error:
        report.fail("status", f"could not retrieve revocation list {url}: {error}")
        return
    if not isinstance(document, Mapping):
        report.fail("status", "1EdTech revocation list is missing or not JSON")
        return
    for revoked in as_list(document.get("revokedCredential")):
        if isinstance(revoked, Mapping) and revoked.get("id") == credential.get("id") and revoked.get("revoked", True):
            report.revoked = True
            reason = revoked.get("revocationReason")
            report.fail("status", "credential has been revoked" + (f": {reason}" if reason else ""))
            return
    report.ok("status", "not on the issuer's 1EdTech revocation list")


def _kid_bound_to_issuer(kid: str, jwk: Mapping[str, Any], issuer: str) -> bool:
    """Return True when the issuer publishes ``kid``.

    The URL must lie under the issuer id (without dot segments that could climb out of it), or on the
    issuer id's origin with a JWK whose ``iss`` is the issuer. A JWK's ``iss`` alone proves nothing:
    anyone can write it into a key they host.
    """
    if not issuer.startswith(("https://", "http://")):
        return False
    kid_parts, issuer_parts = urlsplit(kid), urlsplit(issuer)
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in kid_parts.path.split("/")):
        return False
    if kid.startswith(issuer.rstrip("/") + "/"):
        return True
    same_origin = (kid_parts.scheme, kid_parts.netloc.lower()) == (issuer_parts.scheme, issuer_parts.netloc.lower())
    return same_origin and jwk.get("iss") == issuer


def _jwk_from(document: Any, kid: str) -> dict[str, Any] | None:
    if isinstance(document, Mapping) and "kty" in document:
        return dict(document)
    if isinstance(document, Mapping) and isinstance(document.get("keys"), list):
        for key in document["keys"]:
            if isinstance(key, Mapping) and key.get("kid") == kid:
                return dict(key)
    return None



__all__ = [
    "JwsFormatError",
    "check_data_integrity",
    "check_jsonld",
    "check_status",
    "check_structure",
    "check_validity",
    "check_vc_jwt",
    "credential_of",
]
