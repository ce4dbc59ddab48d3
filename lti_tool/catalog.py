"""The public catalog of credentials the registrar approved (AACRAO alternative-credentials metadata).

No learner data: what each credential is, who offers it, credit or non-credit, level, hours,
outcomes, alignments, how long an award stays valid, the registrar's SIS mapping code and the
Credential Engine CTID. Registrar research digest 5.5 (1).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Achievement, Issuer
from .services.documents import image_url


def catalog_achievements(*, issuer: Issuer | None = None) -> QuerySet[Achievement]:
    """Return the approved credentials now offered (approved or active), by issuer and name."""
    rows = Achievement.objects.filter(approved_at__isnull=False, status__in=Achievement.ISSUABLE) \
        .select_related("issuer", "image").order_by("issuer__name", "name", "version_number")
    return rows.filter(issuer=issuer) if issuer is not None else rows


def catalog_entry(achievement: Achievement) -> dict[str, Any]:
    """Return one credential as the catalog JSON shows it."""
    unit = achievement.issuing_unit or {}
    return {
        "id": achievement.public_id,
        "name": achievement.name,
        "description": achievement.description,
        "achievementType": achievement.achievement_type,
        "humanCode": achievement.human_code or None,
        "version": achievement.version_number,
        "status": achievement.status,
        "approved": {"at": achievement.approved_at.isoformat(), "by": achievement.approved_by},
        "issuer": {"id": achievement.issuer.public_id, "name": achievement.issuer.name},
        "issuingUnit": unit.get("name") or achievement.issuer.name,
        "creditType": achievement.credit_type,
        "level": achievement.level or None,
        "creditHours": float(achievement.credits_available) if achievement.credits_available is not None else None,
        "clockHours": float(achievement.clock_hours) if achievement.clock_hours is not None else None,
        "learningOutcomes": [item.get("name") if isinstance(item, dict) else str(item)
                             for item in achievement.learning_outcomes],
        "alignments": achievement.alignments,
        "criteria": {"narrative": achievement.criteria_narrative or None, "url": achievement.criteria_url or None},
        "expiry": {"validForDays": achievement.valid_for_days,
                   "earnableUntil": achievement.expiration_date.isoformat() if achievement.expiration_date else None},
        "sisCode": achievement.sis_code or None,
        "ctid": achievement.ce_ctid or None,
        "image": image_url(achievement.image, achievement.issuer.base_url) or None,
    }
