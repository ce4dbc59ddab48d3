"""Read queries for pages and commands (no side effects)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from .models import Achievement, Award, Issuer, Learner, LtiContext, LtiDeployment, LtiMembership


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


@dataclass(frozen=True)
class RosterRow:
    """One course member and where they stand with a badge."""

    name: str
    roles: list[str]
    award: Award | None


def course_badges(*, deployment: LtiDeployment, context: LtiContext | None) -> QuerySet[Achievement]:
    """Badges made in this course (tenant-scoped: only this deployment's)."""
    badges = Achievement.objects.filter(deployment=deployment).select_related("image", "issuer")
    return badges.filter(lti_context=context) if context is not None else badges.none()


def course_roster(*, context: LtiContext, achievement: Achievement) -> list[RosterRow]:
    """Members of a course with their current award of ``achievement`` (if any), learners first."""
    memberships = (LtiMembership.objects.filter(context=context, status="active")
                   .select_related("user__learner").order_by("user__name"))
    awards = {award.learner_id: award for award in
              Award.objects.filter(achievement=achievement, is_current=True,
                                   learner_id__in=[m.user.learner_id for m in memberships])}
    rows = [RosterRow(name=m.user.name or m.user.sub, roles=m.roles, award=awards.get(m.user.learner_id))
            for m in memberships]
    return sorted(rows, key=lambda row: ("learner" not in row.roles, row.name.lower()))


def learner_current_award(*, learner: Learner, achievement: Achievement) -> Award | None:
    """Return the learner's current (not revoked, not superseded) award of ``achievement``."""
    return Award.objects.filter(achievement=achievement, learner=learner, is_current=True).first()
