"""Read queries for pages and commands (no side effects)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
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


ROLE_LABELS = (("admin", "Administrator"), ("instructor", "Instructor"), ("assessor", "Assessor"),
               ("learner", "Learner"))


@dataclass(frozen=True)
class RosterRow:
    """One course member and where they stand with a badge (LTI pages, instructor view)."""

    name: str
    roles: list[str]
    award: Award | None

    @property
    def role(self) -> str:
        """The member's highest tool role, for people ("Instructor", "Learner"…), or "" when none."""
        return next((label for role, label in ROLE_LABELS if role in self.roles), "")

    @property
    def is_learner(self) -> bool:
        """True for members who earn badges here (learners who are not also course staff)."""
        return "learner" in self.roles and not {"instructor", "assessor", "admin"} & set(self.roles)


def course_badges(*, deployment: LtiDeployment, context: LtiContext | None) -> QuerySet[Achievement]:
    """Badges made in this course that can still be earned (only this deployment's: tenant-scoped)."""
    if context is None or context.deployment_id != deployment.pk:
        return Achievement.objects.none()
    return (Achievement.objects.filter(deployment=deployment, lti_context=context, status__in=Achievement.ISSUABLE)
            .select_related("image", "issuer").order_by("name", "pk"))


def linkable_badge(*, deployment: LtiDeployment, context: LtiContext | None, badge_uuid: str) -> Achievement | None:
    """Return the badge a link's custom parameter names, if a link in this course may show it.

    That is an issuable badge of this deployment (tenant) made in this course, or one made for the
    whole deployment (no course: an admin's institution-wide badge). Badge UUIDs are public, and one
    deployment is usually a whole LMS site, so the course check is what keeps courses apart.
    """
    try:
        wanted = uuid.UUID(str(badge_uuid))
    except ValueError:
        return None
    if context is not None and context.deployment_id != deployment.pk:
        return None
    courses = Q(lti_context__isnull=True) | (Q(lti_context=context) if context is not None else Q())
    return (Achievement.objects.filter(courses, deployment=deployment, uuid=wanted, status__in=Achievement.ISSUABLE)
            .first())


def course_badge(*, deployment: LtiDeployment, context: LtiContext | None, badge_uuid: str) -> Achievement | None:
    """Return one of :func:`course_badges` by its public UUID, or None (unknown, other course or tenant)."""
    try:
        wanted = uuid.UUID(str(badge_uuid))
    except ValueError:
        return None
    return course_badges(deployment=deployment, context=context).filter(uuid=wanted).first()


def course_roster(*, context: LtiContext, achievement: Achievement) -> list[RosterRow]:
    """Members seen in this course with their current award of ``achievement``: learners first, by name.

    Members come from launches (and later the NRPS roster) of this course only; awards are those of
    this achievement only, so nothing of another course or tenant shows.
    """
    memberships = list(LtiMembership.objects.filter(context=context, status="active")
                       .select_related("user__learner").order_by("user__name", "pk"))
    awards = {award.learner_id: award for award in
              Award.objects.filter(achievement=achievement, is_current=True,
                                   learner_id__in=[m.user.learner_id for m in memberships])}
    rows = [RosterRow(name=m.user.name or m.user.sub, roles=list(m.roles), award=awards.get(m.user.learner_id))
            for m in memberships]
    return sorted(rows, key=lambda row: (not row.is_learner, row.name.lower()))


def learner_current_award(*, learner: Learner, achievement: Achievement) -> Award | None:
    """Return the learner's current award of ``achievement`` (not revoked, not superseded), if any."""
    return (Award.objects.filter(achievement=achievement, learner=learner, is_current=True)
            .select_related("achievement__image", "achievement__issuer").order_by("-issued_at").first())
