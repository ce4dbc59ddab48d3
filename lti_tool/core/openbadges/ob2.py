"""Open Badges 2.0 documents for older backpacks (OB 2.0, https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html).

Hosted verification: the Assertion lives at its HTTPS ``id``; revocation by ``revoked: true`` or
HTTP 410. Signed verification: a compact JWS (RS256) of the Assertion; the key is found through the
issuer's ``publicKey`` (a CryptographicKey whose ``owner`` is the issuer) and revocation through the
issuer's ``revocationList``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..data import AchievementDefinition, Alignment, Profile
from ..jose import sign_compact
from ..keys import RsaSigner
from ..timefmt import format_datetime
from .compose import criteria_narrative, hash_identity

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def issuer_json(profile: Profile, *, public_key_urls: Iterable[str] = (), revocation_list_url: str | None = None,
                issuer_url: str | None = None) -> dict[str, Any]:
    """Return the OB 2.0 Issuer Profile (§Profile) served at ``issuer_url``."""
    out: dict[str, Any] = {"@context": OB2_CONTEXT, "type": "Issuer", "id": issuer_url or profile.id,
                           "name": profile.name, "url": profile.url or profile.id}
    if profile.email:
        out["email"] = profile.email
    if profile.description:
        out["description"] = profile.description
    if profile.image:
        out["image"] = profile.image.id
    keys = list(public_key_urls)
    if keys:
        out["publicKey"] = keys if len(keys) > 1 else keys[0]
    if revocation_list_url:
        out["revocationList"] = revocation_list_url
    return out


def badgeclass_json(achievement: AchievementDefinition, *, badgeclass_url: str, issuer_url: str,
                    image_url: str) -> dict[str, Any]:
    """Return the OB 2.0 BadgeClass (§BadgeClass) for an achievement."""
    criteria: dict[str, Any] = {}
    if achievement.criteria_id:
        criteria["id"] = achievement.criteria_id
    narrative = criteria_narrative(achievement)
    if narrative:
        criteria["narrative"] = narrative
    out: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": badgeclass_url,
        "name": achievement.name,
        "description": achievement.description,
        "image": image_url,
        "criteria": criteria,
        "issuer": issuer_url,
    }
    if achievement.alignments:
        out["alignment"] = [_alignment(a) for a in achievement.alignments]
    if achievement.tags:
        out["tags"] = list(achievement.tags)
    return out


def assertion_json(*, assertion_id: str, badgeclass_url: str, recipient_email: str, salt: str,
                   issued_on: datetime, expires: datetime | None = None, image_url: str | None = None,
                   evidence: Iterable[Mapping[str, str]] = (), narrative: str | None = None,
                   signed_by: str | None = None) -> dict[str, Any]:
    """Return an OB 2.0 Assertion (§Assertion); hosted unless ``signed_by`` names the key URL."""
    out: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": hash_identity(recipient_email, salt, "emailAddress")},
        "badge": badgeclass_url,
        "verification": {"type": "SignedBadge", "creator": signed_by} if signed_by else {"type": "HostedBadge"},
        "issuedOn": format_datetime(issued_on),
    }
    if expires is not None:
        out["expires"] = format_datetime(expires)
    if image_url:
        out["image"] = image_url
    items = [dict(item, type="Evidence") for item in evidence]
    if items:
        out["evidence"] = items
    if narrative:
        out["narrative"] = narrative
    return out


def cryptographic_key_json(*, key_url: str, owner: str, public_key_pem: str) -> dict[str, Any]:
    """Return the OB 2.0 CryptographicKey (§CryptographicKey) whose ``owner`` is the issuer."""
    return {"@context": OB2_CONTEXT, "type": "CryptographicKey", "id": key_url, "owner": owner,
            "publicKeyPem": public_key_pem}


def revocation_list_json(*, list_url: str, issuer_url: str,
                         revoked: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    """Return the OB 2.0 RevocationList (§RevocationList) of (assertion id, reason) pairs."""
    entries = [{"id": assertion_id, **({"revocationReason": reason} if reason else {})}
               for assertion_id, reason in revoked]
    return {"@context": OB2_CONTEXT, "type": "RevocationList", "id": list_url, "issuer": issuer_url,
            "revokedAssertions": entries}


def sign_assertion(assertion: Mapping[str, Any], signer: RsaSigner) -> str:
    """Return the OB 2.0 signed assertion: a compact JWS, header ``{"alg": "RS256"}``."""
    return sign_compact({"alg": "RS256"}, dict(assertion), signer.sign)


def _alignment(alignment: Alignment) -> dict[str, Any]:
    out = {"targetName": alignment.target_name, "targetUrl": alignment.target_url}
    if alignment.target_description:
        out["targetDescription"] = alignment.target_description
    if alignment.target_framework:
        out["targetFramework"] = alignment.target_framework
    if alignment.target_code:
        out["targetCode"] = alignment.target_code
    return out
