"""Read queries for pages and commands (no side effects)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Achievement, Award, Issuer


def award_for_page(*, award_uuid) -> Award:
    """Return an award with what its public page shows, or raise Http404."""
    try:
        return (Award.objects.select_related("achievement__issuer__image", "achievement__image", "learner")
                .get(uuid=award_uuid))
    except (Award.DoesNotExist, ValueError):
        raise Http404("no such credential") from None


def issuer_for_page(*, issuer_uuid) -> Issuer:
    try:
        return Issuer.objects.select_related("image").get(uuid=issuer_uuid)
    except (Issuer.DoesNotExist, ValueError):
        raise Http404("no such issuer") from None


def achievement_for_page(*, achievement_uuid) -> Achievement:
    try:
        return Achievement.objects.select_related("issuer", "image").get(uuid=achievement_uuid)
    except (Achievement.DoesNotExist, ValueError):
        raise Http404("no such achievement") from None


def issuer_achievements(*, issuer: Issuer) -> QuerySet[Achievement]:
    """Achievements of an issuer that can be earned (approved or active)."""
    return issuer.achievements.filter(status__in=Achievement.ISSUABLE).order_by("name")


def award_by_public_id(*, value: str) -> Award | None:
    """Find an award by its UUID or credential URL (for commands)."""
    candidate = value.rstrip("/").rsplit("/", 1)[-1].removeprefix("urn:uuid:")
    try:
        return Award.objects.select_related("achievement__issuer", "learner").get(uuid=candidate)
    except (Award.DoesNotExist, ValueError):
        return None
