"""Turn stored records into the core's data shapes (the only place that maps model → core data)."""

from __future__ import annotations

import uuid

from ..conf import tool_settings
from ..core.data import (
    AchievementDefinition,
    Alignment,
    IdentifierEntry,
    Image,
    Profile,
    RegistrarMetadata,
    Related,
    ResultDescription,
)
from ..models import Achievement, Issuer, StoredImage


def image_url(image: StoredImage | None, base_url: str | None = None) -> str | None:
    """Return the public URL of a stored image."""
    if image is None:
        return None
    return f"{(base_url or tool_settings.public_url).rstrip('/')}/images/{image.uuid}.{image.extension}"


def issuer_profile(issuer: Issuer) -> Profile:
    """Return the OB 3.0 Profile of an issuer."""
    url = image_url(issuer.image, issuer.base_url)
    return Profile(
        id=issuer.public_id,
        name=issuer.name,
        url=issuer.url or None,
        email=issuer.email or None,
        phone=issuer.phone or None,
        description=issuer.description or None,
        image=Image(url, caption=f"{issuer.name} logo") if url else None,
        official=issuer.official or None,
    )


def alignment(data: dict) -> Alignment:
    return Alignment(
        target_name=data["target_name"],
        target_url=data["target_url"],
        target_code=data.get("target_code") or None,
        target_description=data.get("target_description") or None,
        target_framework=data.get("target_framework") or None,
        target_type=data.get("target_type") or None,
    )


def achievement_definition(achievement: Achievement) -> AchievementDefinition:
    """Return the OB 3.0 Achievement (plus registrar metadata) of a stored achievement."""
    base = achievement.issuer.base_url
    url = image_url(achievement.image, base)
    unit = achievement.issuing_unit or {}
    identifiers = [IdentifierEntry(e["identifier"], e["identifier_type"]) for e in achievement.other_identifiers]
    if achievement.sis_code and not any(e.identifier_type == "sisSourcedId" for e in identifiers):
        identifiers.append(IdentifierEntry(achievement.sis_code, "sisSourcedId"))
    return AchievementDefinition(
        id=achievement.public_id,
        name=achievement.name,
        description=achievement.description,
        criteria_narrative=achievement.criteria_narrative or None,
        criteria_id=achievement.criteria_url or None,
        image=Image(url, caption=achievement.name) if url else None,
        achievement_type=achievement.achievement_type,
        creator=Profile(id=unit.get("id") or _unit_urn(achievement.issuer, unit["name"]), name=unit["name"],
                        url=unit.get("url") or None, email=unit.get("email") or None,
                        parent_org=issuer_profile(achievement.issuer)) if unit.get("name") else None,
        human_code=achievement.human_code or None,
        field_of_study=achievement.field_of_study or None,
        specialization=achievement.specialization or None,
        tags=tuple(achievement.tags),
        language=achievement.language or None,
        version=achievement.version or None,
        credits_available=float(achievement.credits_available) if achievement.credits_available is not None else None,
        alignments=tuple(alignment(a) for a in achievement.alignments),
        result_descriptions=tuple(
            ResultDescription(
                id=f"{achievement.public_id}#outcome-{index}",
                name=outcome["name"],
                result_type=outcome.get("result_type", "Status"),
                alignments=tuple(alignment(a) for a in outcome.get("alignments", [])),
            )
            for index, outcome in enumerate(achievement.learning_outcomes, start=1)
        ),
        other_identifiers=tuple(identifiers),
        related=(Related(id=f"{base.rstrip('/')}/ob2/badges/{achievement.uuid}",
                         type=("Related", "https://w3id.org/openbadges#BadgeClass")),),
        registrar=RegistrarMetadata(
            credit_type=achievement.credit_type,
            level=achievement.level or None,
            requirements=achievement.requirements or None,
            assessment=achievement.assessment or None,
            clock_hours=float(achievement.clock_hours) if achievement.clock_hours is not None else None,
            effective_date=achievement.effective_date,
            expiration_date=achievement.expiration_date,
        ),
    )


def _unit_urn(issuer: Issuer, name: str) -> str:
    """Return a stable id for an issuing unit that has no web page."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer.public_id}/units/{name}')}"
