"""Compose a Comprehensive Learner Record 2.0 ``ClrCredential`` (CLR 2.0 §ClrCredential, §ClrSubject).

A CLR gathers a learner's signed Open Badges 3.0 credentials (here: those of one issuer in one term)
into one verifiable credential the issuer signs. The embedded credentials keep their own proofs, so
a verifier checks each of them and the CLR's proof over the whole. Contexts: VC 2.0, CLR 2.0.1 and
OB 3.0.3, in that order (the 1EdTech validator's CLR 2.0 fixtures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..data import AchievementDefinition, IdentityObject, Profile
from ..timefmt import format_datetime
from .compose import OB_V3_CONTEXT, VC_V2_CONTEXT, CompositionError, achievement_json, profile_json

CLR_V2_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"


@dataclass(frozen=True)
class ClrClaims:
    """What one CLR says: who issues it, about whom, and which signed credentials it holds."""

    id: str
    issuer: Profile
    name: str
    valid_from: datetime
    credentials: Sequence[Mapping[str, Any]]
    subject_id: str | None = None
    identifiers: Sequence[IdentityObject] = field(default_factory=tuple)
    achievements: Sequence[AchievementDefinition] = field(default_factory=tuple)
    description: str | None = None
    partial: bool = False


def compose_clr(claims: ClrClaims) -> dict[str, Any]:
    """Return the unsecured ClrCredential.

    Raises:
        CompositionError: no credential to hold, no subject identity, or an embedded credential
            that is not a signed OpenBadgeCredential about the same subject.
    """
    if not claims.credentials:
        raise CompositionError("a CLR holds at least one credential")
    if not claims.subject_id and not claims.identifiers:
        raise CompositionError("ClrSubject needs an id or at least one identifier")
    for credential in claims.credentials:
        if "OpenBadgeCredential" not in credential.get("type", ()) or "proof" not in credential:
            raise CompositionError("a CLR holds signed OpenBadgeCredentials only")
        if claims.subject_id and credential.get("credentialSubject", {}).get("id") != claims.subject_id:
            raise CompositionError("every credential in a CLR must be about its subject")
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if claims.subject_id:
        subject["id"] = claims.subject_id
    if claims.identifiers:
        subject["identifier"] = [{"type": "IdentityObject", "identityHash": i.identity_hash,
                                  "identityType": i.identity_type, "hashed": i.hashed,
                                  **({"salt": i.salt} if i.salt else {})} for i in claims.identifiers]
    if claims.achievements:
        subject["achievement"] = [achievement_json(a) for a in claims.achievements]
    subject["verifiableCredential"] = [dict(c) for c in claims.credentials]
    clr: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, CLR_V2_CONTEXT, OB_V3_CONTEXT],
        "id": claims.id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": profile_json(claims.issuer),
        "validFrom": format_datetime(claims.valid_from),
        "name": claims.name,
    }
    if claims.description:
        clr["description"] = claims.description
    if claims.partial:
        clr["partial"] = True
    clr["credentialSubject"] = subject
    return clr
