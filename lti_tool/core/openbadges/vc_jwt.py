"""VC-JWT for Open Badges 3.0 (OB 3.0 §8.2 "JSON Web Token Proof Format").

Header: ``alg`` RS256, ``kid`` (a URL that dereferences to the public JWK), ``typ`` "JWT"; no other
members (OB 3.0 §8.2.3). Payload: the credential itself, without a ``vc`` wrapper and without
``proof``, plus the registered claims ``iss`` (issuer id), ``jti`` (credential id), ``nbf``
(validFrom), ``sub`` (credentialSubject.id) and ``exp`` (validUntil, when present).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..jose import ParsedJws, sign_compact
from ..keys import RsaSigner
from ..timefmt import TimeFormatError, parse_datetime

ALLOWED_HEADER = frozenset({"alg", "kid", "jwk", "typ"})
REGISTERED_CLAIMS = ("iss", "jti", "nbf", "sub", "exp")


class VcJwtError(ValueError):
    """Raise when a credential cannot be expressed as an OB 3.0 VC-JWT."""


def issuer_id(credential: Mapping[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Return the registered claims that mirror the credential's own fields."""
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    if not subject_id:
        raise VcJwtError("VC-JWT needs credentialSubject.id for the 'sub' claim (OB 3.0 §8.2.4)")
    claims: dict[str, Any] = {
        "iss": issuer_id(credential),
        "jti": credential["id"],
        "nbf": int(parse_datetime(credential["validFrom"]).timestamp()),
        "sub": subject_id,
    }
    if credential.get("validUntil"):
        claims["exp"] = int(parse_datetime(credential["validUntil"]).timestamp())
    return claims


def sign_vc_jwt(credential: Mapping[str, Any], signer: RsaSigner) -> str:
    """Return the compact JWS of ``credential`` (any embedded ``proof`` is left out).

    Raises:
        VcJwtError: the credential lacks what the JWT claims need.
    """
    body = {key: value for key, value in credential.items() if key != "proof"}
    header = {"alg": "RS256", "kid": signer.kid, "typ": "JWT"}
    return sign_compact(header, {**body, **jwt_claims(body)}, signer.sign)


def header_problems(parsed: ParsedJws) -> list[str]:
    """Return what is wrong with the JOSE header under OB 3.0 §8.2.3 (empty when fine)."""
    problems = []
    extra = sorted(set(parsed.header) - ALLOWED_HEADER)
    if extra:
        problems.append(f"JOSE header has members OB 3.0 does not allow: {', '.join(extra)}")
    if ("kid" in parsed.header) == ("jwk" in parsed.header):
        problems.append("JOSE header must carry exactly one of 'kid' and 'jwk'")
    if parsed.header.get("typ") not in (None, "JWT"):
        problems.append(f"JOSE header typ {parsed.header.get('typ')!r} is not 'JWT'")
    return problems


def credential_of(parsed: ParsedJws) -> dict[str, Any]:
    """Return the credential carried by a VC-JWT (also accepting the legacy VCDM 1.1 ``vc`` claim)."""
    payload = parsed.payload
    if not isinstance(payload, dict):
        raise VcJwtError("JWT payload is not a JSON object")
    if "vc" in payload and isinstance(payload["vc"], dict) and "@context" not in payload:
        return dict(payload["vc"])
    return {key: value for key, value in payload.items() if key not in REGISTERED_CLAIMS and key not in ("iat", "aud")}


def claim_problems(parsed: ParsedJws, credential: Mapping[str, Any]) -> list[str]:
    """Return mismatches between the JWT claims and the credential they wrap."""
    payload = parsed.payload if isinstance(parsed.payload, dict) else {}
    if "vc" in payload and "@context" not in payload:
        return []
    try:
        expected = jwt_claims(credential)
    except (VcJwtError, KeyError, TimeFormatError) as error:
        return [str(error)]
    problems = []
    for claim, value in expected.items():
        if payload.get(claim) != value:
            problems.append(f"JWT claim {claim!r} is {payload.get(claim)!r}, the credential says {value!r}")
    if "exp" in payload and "exp" not in expected:
        problems.append("JWT has 'exp' but the credential has no validUntil")
    return problems
