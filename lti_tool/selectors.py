"""Read queries for pages and commands (no side effects)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .core.criteria import facts as f
from .core.criteria.evaluate import Explainer
from .core.criteria.rules import EvidenceApproved, parse_criteria, prerequisites, requirements
from .evaluation_reads import reported_by_owner
from .models import (
    Achievement,
    Award,
    BulkAwardJob,
    CourseFact,
    CourseSync,
    EvidenceSubmission,
    Issuer,
    Learner,
    LtiContext,
    LtiDeployment,
    LtiMembership,
    LtiUser,
)
from .public_ids import parse_uuid


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
    learner_id: int | None = None
    progress: Any = None  # the learner's explained criteria (core Outcome) when the badge has rules
    learner_uuid: str = ""
    email: str = ""
    sis_id: str = ""

    def met(self, requirement_id: str) -> bool:
        """Return whether this learner meets one requirement (False without rules)."""
        return bool(self.progress) and any(leaf.id == requirement_id and leaf.met for leaf in self.progress.leaves())

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
    this achievement only (any of its versions, the newest award first), so nothing of another course
    or tenant shows.
    """
    memberships = list(LtiMembership.objects.filter(context=context, status="active")
                       .select_related("user__learner").order_by("user__name", "pk"))
    awards: dict[int, Award] = {}
    for award in Award.objects.filter(achievement__lineage=achievement.lineage, is_current=True,
                                      learner_id__in=[m.user.learner_id for m in memberships]).order_by("-issued_at"):
        awards.setdefault(award.learner_id, award)
    rows = [RosterRow(name=m.user.name or m.user.sub, roles=list(m.roles), award=awards.get(m.user.learner_id),
                      learner_id=m.user.learner_id, learner_uuid=str(m.user.learner.uuid), email=m.user.email,
                      sis_id=m.user.lis_person_sourcedid) for m in memberships]
    if achievement.criteria_rules:
        progress = badge_progress(context=context, achievement=achievement,
                                  learners=[m.user.learner for m in memberships])
        rows = [replace(row, progress=progress.get(row.learner_id)) for row in rows]
    return sorted(rows, key=lambda row: (not row.is_learner, row.name.lower()))


def learner_current_award(*, learner: Learner, achievement: Achievement) -> Award | None:
    """Return the learner's current award of ``achievement`` (not revoked, not superseded), if any.

    An award of any version of the credential counts (a holder of version 1 holds the credential
    after version 2 takes over the course link); the newest is returned.
    """
    return (Award.objects.filter(achievement__lineage=achievement.lineage, learner=learner, is_current=True)
            .select_related("achievement__image", "achievement__issuer").order_by("-issued_at").first())


_EXPLAINERS: dict[tuple[int, datetime], tuple[frozenset[str], Explainer]] = {}
BADGE_POLICY_FIELDS = ("pk", "uuid", "lineage", "version_number", "name", "criteria_rules", "re_earnable",
                       "revoke_on_regression", "retroactive", "rules_active_since", "updated_at", "deployment_id",
                       "lti_context_id", "status")


def badge_rules(badge: Achievement) -> tuple[frozenset[str], Explainer]:
    """Return the badge's prerequisites and explainer, compiled once per version (``updated_at``) of the badge."""
    version = (badge.pk, badge.updated_at)
    held = _EXPLAINERS.get(version)
    if held is None:
        tree = parse_criteria(badge.criteria_rules)
        if len(_EXPLAINERS) > 2000:
            _EXPLAINERS.clear()
        held = _EXPLAINERS[version] = (prerequisites(tree), Explainer(tree))
    return held


def badge_progress(*, context: LtiContext, achievement: Achievement, learners: list[Learner]) -> dict[int, Any]:
    """Return each learner's explained criteria for ``achievement`` in ``context`` (empty without rules)."""
    if not achievement.criteria_rules or not learners:
        return {}
    explainer = badge_rules(achievement)[1]
    facts = learners_facts_load(context=context, learners=learners)
    return {learner_id: explainer(facts_for_badge(learner_facts, achievement))
            for learner_id, learner_facts in facts.items()}


def badge_fact_key(achievement: Achievement, requirement_id: str) -> str:
    """Return the fact key of a badge's own requirement (evidence, sign-off): ``<badge uuid>:<id>``.

    Requirement ids are unique within one badge's criteria only; the prefix keeps two badges of a
    course apart.
    """
    return f"{achievement.uuid}:{requirement_id}"


def facts_for_badge(facts: f.LearnerFacts, achievement: Achievement) -> f.LearnerFacts:
    """Return the learner's facts as one badge sees them: its own evidence and sign-offs by requirement id."""
    prefix = f"{achievement.uuid}:"
    if not facts.evidence and not facts.grants:
        return facts
    return replace(facts, evidence={k[len(prefix):]: v for k, v in facts.evidence.items() if k.startswith(prefix)},
                   grants={k[len(prefix):]: v for k, v in facts.grants.items() if k.startswith(prefix)})


def course_line_items(*, context: LtiContext) -> list[tuple[str, str]]:
    """Return the course's gradebook items as (fact key, label), from the last AGS read."""
    sync = CourseSync.objects.filter(context=context, kind=CourseSync.Kind.AGS).only("summary").first()
    return [(item["key"], item.get("label") or item["key"]) for item in (sync.summary or {}).get("items", [])
            if isinstance(item, dict) and item.get("key")] if sync else []


def criteria_labels(*, context: LtiContext, achievement: Achievement) -> tuple[dict[str, str], dict[str, str]]:
    """Return names for a badge's criteria: line items by fact key (from the last AGS read), badges by id."""
    labels: dict[str, str] = {}
    sync = CourseSync.objects.filter(context=context, kind=CourseSync.Kind.AGS).only("summary").first()
    for item in (sync.summary or {}).get("items", []) if sync else []:
        if isinstance(item, dict) and item.get("key") and item.get("label"):
            labels[item["key"]] = item["label"]
    needed = prerequisites(parse_criteria(achievement.criteria_rules)) if achievement.criteria_rules else set()
    ids = [value for value in needed if parse_uuid(value)]
    badges = {str(a.uuid): a.name for a in Achievement.objects.filter(deployment_id=achievement.deployment_id,
                                                                       uuid__in=ids)}
    return labels, badges


def learner_facts_load(*, context: LtiContext, learner: Learner, now: datetime | None = None) -> f.LearnerFacts:
    """Return what the engine knows of ``learner`` in ``context``: recorded facts and badges held.

    Badges held are the learner's current, unrevoked, unexpired awards of this deployment's badges.
    """
    return learners_facts_load(context=context, learners=[learner], now=now)[learner.pk]


def learners_facts_load(*, context: LtiContext, learners: Iterable[Learner],
                        now: datetime | None = None) -> dict[int, f.LearnerFacts]:
    """Return :func:`learner_facts_load` for several learners with two queries."""
    now = now or timezone.now()
    learners = list(learners)
    records: dict[int, list[f.FactRecord]] = {learner.pk: [] for learner in learners}
    for row in (CourseFact.objects.filter(context=context, learner__in=learners)
                .values_list("learner_id", "kind", "key", "value", "observed_at", "source")):
        if not reported_by_owner(row[1], row[5]):
            continue  # evidence reviews, sign-offs and badges held come from the tool only
        records[row[0]].append(f.FactRecord(*row[1:]))
    awards = [row for row in Award.objects.current().filter(
        learner__in=learners, achievement__deployment_id=context.deployment_id, revoked_at__isnull=True)
        .values_list("learner_id", "achievement__lineage", "valid_from", "valid_until")
        if row[3] is None or row[3] > now]
    versions = lineage_versions({lineage for _learner, lineage, _from, _until in awards})
    for learner_id, lineage, valid_from, _until in awards:
        for version in versions[lineage]:  # "another badge earned" names one version; any version of it counts
            records[learner_id].append(f.FactRecord(f.BADGE, version, {"at": valid_from}, valid_from, "accolade"))
    return {learner.pk: f.learner_facts(str(learner.uuid), records[learner.pk]) for learner in learners}


def lineage_versions(lineages: Iterable[Any]) -> dict[Any, list[str]]:
    """Return the ids (uuid strings) of every version of each credential lineage."""
    versions: dict[Any, list[str]] = {lineage: [] for lineage in lineages}
    if versions:
        for lineage, version in Achievement.objects.filter(lineage__in=versions).values_list("lineage", "uuid"):
            versions[lineage].append(str(version))
    return versions


@dataclass(frozen=True)
class EvidenceSlot:
    """One evidence requirement of a badge as a learner sees it: what it asks and their latest submission."""

    requirement_id: str
    prompt: str
    latest: EvidenceSubmission | None

    @property
    def can_submit(self) -> bool:
        return self.latest is None or self.latest.status == EvidenceSubmission.Status.RETURNED


def learner_evidence(*, achievement: Achievement, context: LtiContext, learner: Learner) -> list[EvidenceSlot]:
    """Return the badge's evidence requirements with the learner's latest submission for each."""
    wanted = evidence_requirements(achievement)
    latest: dict[str, EvidenceSubmission] = {}
    for submission in (EvidenceSubmission.objects.filter(achievement=achievement, context=context, learner=learner)
                       .defer("file_data").order_by("submitted_at", "pk")):
        latest[submission.requirement_id] = submission
    return [EvidenceSlot(item.id, item.prompt, latest.get(item.id)) for item in wanted]


def review_queue(*, context: LtiContext) -> QuerySet[EvidenceSubmission]:
    """Return the course's evidence waiting for review, oldest first (this course only)."""
    return (EvidenceSubmission.objects.filter(context=context, status=EvidenceSubmission.Status.SUBMITTED)
            .select_related("achievement", "learner").defer("file_data").order_by("submitted_at", "pk"))


@dataclass(frozen=True)
class ReviewRow:
    submission: EvidenceSubmission
    learner_name: str
    prompt: str


def review_rows(*, context: LtiContext, platform_id: int) -> list[ReviewRow]:
    """Return the course's review queue with each learner's name (as this platform sent it) and the prompt."""
    queue = list(review_queue(context=context))
    names = {user.learner_id: user.name or user.sub for user in LtiUser.objects.filter(
        learner_id__in=[s.learner_id for s in queue], platform_id=platform_id)}
    prompts: dict[tuple[int, str], str] = {}
    for submission in queue:
        if (submission.achievement_id, submission.requirement_id) not in prompts:
            for item in evidence_requirements(submission.achievement):
                prompts[(submission.achievement_id, item.id)] = item.prompt
    return [ReviewRow(s, names.get(s.learner_id, "—"), prompts.get((s.achievement_id, s.requirement_id), ""))
            for s in queue]


def course_member_learner(*, context: LtiContext, learner_uuid: str) -> Learner | None:
    """Return the learner with this public id if they are an active member of the course, else None."""
    if parse_uuid(learner_uuid) is None:
        return None
    membership = (LtiMembership.objects.filter(context=context, status="active", user__learner__uuid=learner_uuid)
                  .select_related("user__learner").first())
    return membership.user.learner if membership else None


def evidence_requirements(achievement: Achievement) -> list[EvidenceApproved]:
    """Return the badge's requirements that ask for evidence."""
    if not achievement.criteria_rules:
        return []
    return [item for item in requirements(parse_criteria(achievement.criteria_rules))
            if isinstance(item, EvidenceApproved)]


def sign_off_requirements(achievement: Achievement) -> list[Any]:
    """Return the badge's manual sign-off requirements (core ``ManualAward``)."""
    from .core.criteria.rules import ManualAward

    if not achievement.criteria_rules:
        return []
    return [item for item in requirements(parse_criteria(achievement.criteria_rules)) if isinstance(item, ManualAward)]


def bulk_jobs_recent(*, achievement: Achievement, context: LtiContext, limit: int = 5) -> list[BulkAwardJob]:
    """Return the latest bulk award files sent for this badge in this course, newest first."""
    return list(BulkAwardJob.objects.filter(achievement=achievement, context=context)
                .only("uuid", "file_name", "status", "issued_count", "problem", "created_at", "finished_at",
                      "requested_by", "attempts").order_by("-created_at")[:limit])
