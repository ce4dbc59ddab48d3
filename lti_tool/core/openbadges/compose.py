"""Compose Open Badges 3.0 documents as plain JSON (OB 3.0 §B.1, VC Data Model 2.0).

No I/O and no signing: the output is the unsecured ``OpenBadgeCredential`` that
:mod:`.data_integrity` or :mod:`.vc_jwt` then secures. Properties whose cardinality is 0..* or
1..* are always arrays (OB 3.0 §"Serialization": arrays satisfy both the JSON and JSON-LD schema
variants); absent values are omitted, never null.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..data import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    IDENTITY_TYPES,
    RESULT_TYPES,
    AchievementDefinition,
    Alignment,
    CredentialClaims,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    RegistrarMetadata,
    ResultDescription,
    StatusEntry,
)
from ..timefmt import format_date, format_datetime

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_CREDENTIAL_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


class CompositionError(ValueError):
    """Raise when the claims cannot make a valid OB 3.0 credential."""


def hash_identity(value: str, salt: str, identity_type: str = "") -> str:
    """Return ``sha256$<hex>`` of ``value`` followed by ``salt`` (OB 3.0 §B.1.13 identityHash).

    Email addresses are trimmed and lower-cased first, so a verifier hashing what the learner
    types gets the same value.
    """
    if identity_type == "emailAddress":
        value = value.strip().lower()
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def identity_object(identity_type: str, value: str, *, salt: str | None) -> IdentityObject:
    """Return an IdentityObject, hashed when ``salt`` is given, plaintext otherwise."""
    if identity_type not in IDENTITY_TYPES and not identity_type.startswith("ext:"):
        raise CompositionError(f"identityType {identity_type!r} is not in OB 3.0 IdentifierTypeEnum")
    if salt is None:
        return IdentityObject(identity_type=identity_type, identity_hash=value, hashed=False)
    return IdentityObject(identity_type=identity_type, identity_hash=hash_identity(value, salt, identity_type),
                          hashed=True, salt=salt)


def image_json(image: Image) -> dict[str, Any]:
    out: dict[str, Any] = {"id": image.id, "type": "Image"}
    if image.caption:
        out["caption"] = image.caption
    return out


def profile_json(profile: Profile) -> dict[str, Any]:
    """Return a Profile object (OB 3.0 §B.1.16)."""
    out: dict[str, Any] = {"id": profile.id, "type": ["Profile"], "name": profile.name}
    _put(out, "url", profile.url)
    _put(out, "email", profile.email)
    _put(out, "phone", profile.phone)
    _put(out, "description", profile.description)
    if profile.image:
        out["image"] = image_json(profile.image)
    _put(out, "official", profile.official)
    if profile.parent_org:
        out["parentOrg"] = profile_json(profile.parent_org)
    return out


def alignment_json(alignment: Alignment) -> dict[str, Any]:
    """Return an Alignment object (OB 3.0 §B.1.3)."""
    if alignment.target_type and alignment.target_type not in ALIGNMENT_TARGET_TYPES \
            and not alignment.target_type.startswith("ext:"):
        raise CompositionError(f"targetType {alignment.target_type!r} is not in AlignmentTargetType")
    out: dict[str, Any] = {"type": ["Alignment"], "targetName": alignment.target_name,
                           "targetUrl": alignment.target_url}
    _put(out, "targetCode", alignment.target_code)
    _put(out, "targetDescription", alignment.target_description)
    _put(out, "targetFramework", alignment.target_framework)
    _put(out, "targetType", alignment.target_type)
    return out


def result_description_json(result: ResultDescription) -> dict[str, Any]:
    """Return a ResultDescription object (OB 3.0 §B.1.19)."""
    if result.result_type not in RESULT_TYPES and not result.result_type.startswith("ext:"):
        raise CompositionError(f"resultType {result.result_type!r} is not in ResultType")
    out: dict[str, Any] = {"id": result.id, "type": ["ResultDescription"], "name": result.name,
                           "resultType": result.result_type}
    if result.alignments:
        out["alignment"] = [alignment_json(a) for a in result.alignments]
    if result.allowed_values:
        out["allowedValue"] = list(result.allowed_values)
    _put(out, "requiredValue", result.required_value)
    _put(out, "valueMin", result.value_min)
    _put(out, "valueMax", result.value_max)
    return out


def criteria_narrative(achievement: AchievementDefinition) -> str | None:
    """Return the criteria narrative with the registrar facts appended as a Markdown list."""
    text = (achievement.criteria_narrative or "").strip()
    facts = registrar_facts(achievement.registrar) if achievement.registrar else []
    if facts:
        block = "\n".join(f"- **{label}:** {value}" for label, value in facts)
        text = f"{text}\n\n{block}" if text else block
    return text or None


def registrar_facts(meta: RegistrarMetadata) -> list[tuple[str, str]]:
    """Return the registrar metadata as ordered (label, value) pairs for people to read."""
    facts = [("Credit type", "Credit-bearing" if meta.credit_type == "credit" else "Non-credit")]
    if meta.level:
        facts.append(("Level", meta.level))
    if meta.clock_hours is not None:
        facts.append(("Clock hours", _number(meta.clock_hours)))
    if meta.requirements:
        facts.append(("Requirements", meta.requirements))
    if meta.assessment:
        facts.append(("Assessment", meta.assessment))
    if meta.effective_date:
        facts.append(("Effective", format_date(meta.effective_date)))
    if meta.expiration_date:
        facts.append(("Offered until", format_date(meta.expiration_date)))
    return facts


def achievement_json(achievement: AchievementDefinition) -> dict[str, Any]:
    """Return an Achievement object (OB 3.0 §B.1.1)."""
    if achievement.achievement_type not in ACHIEVEMENT_TYPES and not achievement.achievement_type.startswith("ext:"):
        raise CompositionError(f"achievementType {achievement.achievement_type!r} is not in AchievementType")
    criteria: dict[str, Any] = {}
    _put(criteria, "id", achievement.criteria_id)
    _put(criteria, "narrative", criteria_narrative(achievement))
    if not criteria:
        raise CompositionError("an achievement needs criteria: a narrative, a criteria URL, or both")
    out: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": criteria,
    }
    if achievement.image:
        out["image"] = image_json(achievement.image)
    if achievement.creator:
        out["creator"] = profile_json(achievement.creator)
    if achievement.credits_available is not None:
        out["creditsAvailable"] = float(achievement.credits_available)
    _put(out, "humanCode", achievement.human_code)
    _put(out, "fieldOfStudy", achievement.field_of_study)
    _put(out, "specialization", achievement.specialization)
    _put(out, "inLanguage", achievement.language)
    _put(out, "version", achievement.version)
    if achievement.tags:
        out["tag"] = list(achievement.tags)
    if achievement.alignments:
        out["alignment"] = [alignment_json(a) for a in achievement.alignments]
    if achievement.result_descriptions:
        out["resultDescription"] = [result_description_json(r) for r in achievement.result_descriptions]
    if achievement.other_identifiers:
        out["otherIdentifier"] = [{"type": ["IdentifierEntry"], "identifier": e.identifier,
                                   "identifierType": e.identifier_type} for e in achievement.other_identifiers]
    if achievement.related:
        out["related"] = [_related_json(r) for r in achievement.related]
    return out


def status_entry_json(entry: StatusEntry) -> dict[str, Any]:
    """Return a BitstringStatusListEntry (W3C Bitstring Status List §2.1); index as a string."""
    return {
        "id": f"{entry.status_list_credential}#{entry.status_list_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": entry.status_purpose,
        "statusListIndex": str(entry.status_list_index),
        "statusListCredential": entry.status_list_credential,
    }


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    """Return an Evidence object (OB 3.0 §B.1.10)."""
    out: dict[str, Any] = {}
    _put(out, "id", evidence.id)
    out["type"] = ["Evidence"]
    _put(out, "name", evidence.name)
    _put(out, "narrative", evidence.narrative)
    _put(out, "description", evidence.description)
    _put(out, "genre", evidence.genre)
    _put(out, "audience", evidence.audience)
    return out


def compose_credential(claims: CredentialClaims) -> dict[str, Any]:
    """Return the unsecured OpenBadgeCredential for ``claims``.

    Raises:
        CompositionError: the claims break an OB 3.0 rule (no subject identity, bad enum value…).
    """
    if not claims.subject_id and not claims.identifiers:
        raise CompositionError("credentialSubject needs an id or at least one identifier (OB 3.0 §B.1.2)")
    if claims.valid_until is not None and claims.valid_until <= claims.valid_from:
        raise CompositionError("validUntil must be after validFrom")
    contexts = [VC_V2_CONTEXT, OB_V3_CONTEXT]
    if claims.include_schema:
        contexts.append(OB_EXTENSIONS_CONTEXT)

    subject: dict[str, Any] = {}
    _put(subject, "id", claims.subject_id)
    subject["type"] = ["AchievementSubject"]
    if claims.identifiers:
        subject["identifier"] = [_identity_json(i) for i in claims.identifiers]
    subject["achievement"] = achievement_json(claims.achievement)
    if claims.results:
        subject["result"] = [_result_json(r) for r in claims.results]
    if claims.credits_earned is not None:
        subject["creditsEarned"] = float(claims.credits_earned)
    if claims.activity_start_date:
        subject["activityStartDate"] = format_date(claims.activity_start_date)
    if claims.activity_end_date:
        subject["activityEndDate"] = format_date(claims.activity_end_date)
    _put(subject, "term", claims.term)
    _put(subject, "narrative", claims.narrative)

    credential: dict[str, Any] = {
        "@context": contexts,
        "id": claims.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile_json(claims.issuer),
        "validFrom": format_datetime(claims.valid_from),
    }
    if claims.valid_until is not None:
        credential["validUntil"] = format_datetime(claims.valid_until)
    if claims.awarded_date is not None:
        credential["awardedDate"] = format_datetime(claims.awarded_date)
    credential["name"] = claims.name or claims.achievement.name
    _put(credential, "description", claims.description)
    image = claims.image or claims.achievement.image
    if image:
        credential["image"] = image_json(image)
    credential["credentialSubject"] = subject
    if claims.evidence:
        credential["evidence"] = [evidence_json(e) for e in claims.evidence]
    if claims.status:
        credential["credentialStatus"] = status_entry_json(claims.status)
    if claims.include_schema:
        credential["credentialSchema"] = [dict(OB_CREDENTIAL_SCHEMA)]
    return credential


def _identity_json(identity: IdentityObject) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "IdentityObject", "identityHash": identity.identity_hash,
                           "identityType": identity.identity_type, "hashed": identity.hashed}
    _put(out, "salt", identity.salt)
    return out


def _result_json(result) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["Result"]}
    _put(out, "resultDescription", result.result_description)
    _put(out, "value", result.value)
    _put(out, "status", result.status)
    _put(out, "achievedLevel", result.achieved_level)
    return out


def _related_json(related) -> dict[str, Any]:
    out: dict[str, Any] = {"id": related.id, "type": list(related.type)}
    _put(out, "inLanguage", related.language)
    _put(out, "version", related.version)
    return out


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
