"""An achievement's life: draft → submitted → approved (by a registrar) → active → retired.

AACRAO alternative-credentials guidance: the registrar decides which credentials the institution
stands behind. Every step is recorded (:class:`AchievementChange`: who, when, from and to, why), and
approval and retirement write a catalog event to the registrar feed in the same transaction.

An approved credential is never edited in place: :func:`achievement_revise` starts a new version
(a new achievement in the same lineage, back in draft), so awards already issued keep the meaning
they were issued with; activating the new version retires the one it replaces and moves the LMS
links to it. Course badges made by instructors start active but outside the catalog; an instructor
puts one forward (:func:`achievement_request_approval`) and a registrar approves it like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Achievement, AchievementChange, FeedEvent, LtiResourceLink
from .achievements import parse_achievement_spec
from .errors import ServiceError
from .feed_events import achievement_summary, feed_event_record

Status, Action = Achievement.Status, AchievementChange.Action
REVISABLE_FIELDS = ("name", "description", "criteria_narrative", "criteria_url", "achievement_type", "human_code",
                    "field_of_study", "specialization", "tags", "language", "version", "credits_available",
                    "alignments", "learning_outcomes", "other_identifiers", "issuing_unit", "credit_type", "level",
                    "requirements", "assessment", "clock_hours", "effective_date", "expiration_date", "sis_code",
                    "valid_for_days", "re_earnable", "ce_ctid")
COPIED_FIELDS = (*REVISABLE_FIELDS, "issuer_id", "deployment_id", "lti_context_id", "image_id", "criteria_rules",
                 "revoke_on_regression", "retroactive", "lineage")


class GovernanceError(ServiceError):
    """Raise when a step is not allowed from the achievement's current status, or by this person."""


def change_record(*, achievement: Achievement, action: str, actor: str, before: str, note: str = "",
                  now: datetime | None = None) -> AchievementChange:
    """Record one step of an achievement's life (call inside the step's transaction)."""
    return AchievementChange.objects.create(achievement=achievement, action=action, from_status=before,
                                            to_status=achievement.status, actor=actor[:200], note=note[:5000],
                                            at=now or timezone.now())


def achievement_submit(*, achievement: Achievement, actor: str, note: str = "") -> Achievement:
    """Send a draft to the registrar for approval."""
    return _step(achievement, {Status.DRAFT}, Status.SUBMITTED, Action.SUBMITTED, actor, note)


def achievement_request_approval(*, achievement: Achievement, actor: str, note: str = "") -> Achievement:
    """Put an active course badge forward for the registrar's catalog (it stays active meanwhile)."""
    with transaction.atomic():
        locked = Achievement.objects.select_for_update().get(pk=achievement.pk)
        if locked.approved_at is not None:
            raise GovernanceError(f"{locked.name} is already approved")
        if locked.status != Status.ACTIVE:
            raise GovernanceError(f"only an active badge can be put forward; {locked.name} is {locked.status}")
        if locked.approval_requested_at is not None:
            raise GovernanceError(f"{locked.name} is already waiting for the registrar")
        locked.approval_requested_at = timezone.now()
        locked.save(update_fields=["approval_requested_at", "updated_at"])
        change_record(achievement=locked, action=Action.APPROVAL_REQUESTED, actor=actor, before=locked.status,
                      note=note)
    return locked


def achievement_approve(*, achievement: Achievement, registrar: str, note: str = "") -> Achievement:
    """Approve a submitted achievement (it becomes approved) or a course badge put forward (it stays active).

    Writes ``achievement.approved`` to the registrar feed in the same transaction.
    """
    with transaction.atomic():
        locked = Achievement.objects.select_for_update().select_related("issuer").get(pk=achievement.pk)
        before = locked.status
        if before == Status.SUBMITTED:
            locked.status = Status.APPROVED
        elif not (before == Status.ACTIVE and locked.approval_requested_at and locked.approved_at is None):
            raise GovernanceError(f"{locked.name} is {before}; only submitted credentials (or course badges put "
                                  "forward) can be approved")
        now = timezone.now()
        locked.approved_at, locked.approved_by = now, registrar[:200]
        locked.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        change_record(achievement=locked, action=Action.APPROVED, actor=registrar, before=before, note=note, now=now)
        _catalog_event(locked, FeedEvent.Type.APPROVED, now)
    return locked


def achievement_return(*, achievement: Achievement, registrar: str, note: str) -> Achievement:
    """Send a submitted achievement back to draft (or decline a course badge put forward), with comments."""
    if not note.strip():
        raise GovernanceError("say what needs to change")
    with transaction.atomic():
        locked = Achievement.objects.select_for_update().get(pk=achievement.pk)
        before = locked.status
        if before == Status.SUBMITTED:
            locked.status = Status.DRAFT
        elif before == Status.ACTIVE and locked.approval_requested_at and locked.approved_at is None:
            locked.approval_requested_at = None
        else:
            raise GovernanceError(f"{locked.name} is {before}; there is nothing waiting to return")
        locked.save(update_fields=["status", "approval_requested_at", "updated_at"])
        change_record(achievement=locked, action=Action.RETURNED, actor=registrar, before=before, note=note)
    return locked


def achievement_activate(*, achievement: Achievement, actor: str) -> Achievement:
    """Start issuing an approved achievement; a new version retires the one it replaces and takes its links."""
    with transaction.atomic():
        locked = _step(achievement, {Status.APPROVED}, Status.ACTIVE, Action.ACTIVATED, actor, "")
        previous = locked.supersedes
        if previous is not None and previous.status != Status.RETIRED:
            achievement_retire(achievement=previous, actor=actor,
                               note=f"replaced by version {locked.version_number}")
            LtiResourceLink.objects.filter(achievement=previous).update(achievement=locked)
    return locked


def achievement_retire(*, achievement: Achievement, actor: str, note: str = "") -> Achievement:
    """Stop issuing an achievement for good; awards already made stay valid (revoke those separately)."""
    with transaction.atomic():
        locked = _step(achievement, {Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ACTIVE},
                       Status.RETIRED, Action.RETIRED, actor, note)
        if locked.approved_at is not None:
            _catalog_event(locked, FeedEvent.Type.RETIRED, timezone.now())
    return locked


def achievement_revise(*, achievement: Achievement, changes: Mapping[str, Any], actor: str,
                       note: str = "") -> Achievement:
    """Change a credential's definition; return the achievement that now carries the change.

    A never-approved draft or submission is edited in place (a submission goes back to draft). An
    approved credential gets a new version in draft, in the same lineage, for the registrar to
    approve; the approved version stays as it is and keeps issuing until the new one is activated.

    Raises:
        InvalidSpecError: the changed definition is not valid (every problem listed).
        GovernanceError: the achievement is retired, or a newer version is already being prepared.
    """
    if achievement.status == Status.RETIRED:
        raise GovernanceError(f"{achievement.name} is retired; revise its newest version instead")
    unknown = sorted(set(changes) - set(REVISABLE_FIELDS) - {"criteria", "alignment", "ctid", "ce_ctid"})
    if unknown:
        raise GovernanceError(f"these fields cannot be revised: {', '.join(unknown)}")
    changes = dict(changes)
    if "ce_ctid" in changes:
        changes["ctid"] = changes.pop("ce_ctid")
    spec = {**_spec_of(achievement), **changes}
    fields = parse_achievement_spec(spec)
    fields.pop("status", None)
    with transaction.atomic():
        locked = Achievement.objects.select_for_update().get(pk=achievement.pk)
        if locked.approved_at is None and locked.status in (Status.DRAFT, Status.SUBMITTED):
            before = locked.status
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.status = Status.DRAFT
            locked.save()
            change_record(achievement=locked, action=Action.EDITED, actor=actor, before=before,
                          note=note or ", ".join(sorted(changes)))
            return locked
        if Achievement.objects.filter(supersedes=locked).exclude(status=Status.RETIRED).exists():
            raise GovernanceError(f"a newer version of {locked.name} is already being prepared; revise that one")
        copied = {name: getattr(locked, name) for name in COPIED_FIELDS if name not in fields}
        newer = Achievement.objects.create(**copied, **fields, status=Status.DRAFT, supersedes=locked,
                                           version_number=locked.version_number + 1)
        change_record(achievement=locked, action=Action.REVISED, actor=actor, before=locked.status,
                      note=f"version {newer.version_number} started: {', '.join(sorted(changes))}")
        change_record(achievement=newer, action=Action.CREATED, actor=actor, before="",
                      note=note or f"revision of version {locked.version_number}")
    return newer


def _step(achievement: Achievement, allowed: set[str], to: str, action: str, actor: str, note: str) -> Achievement:
    with transaction.atomic():
        locked = Achievement.objects.select_for_update().select_related("issuer").get(pk=achievement.pk)
        if locked.status not in allowed:
            raise GovernanceError(f"{locked.name} is {locked.get_status_display().lower()}; it cannot be "
                                  f"{AchievementChange.Action(action).label.lower()} from there")
        before, locked.status = locked.status, to
        locked.save(update_fields=["status", "updated_at"])
        change_record(achievement=locked, action=action, actor=actor, before=before, note=note)
    return locked


def _catalog_event(achievement: Achievement, type: str, now: datetime) -> None:
    feed_event_record(type=type, issuer=achievement.issuer, subject=achievement.public_id,
                      data={"achievement": achievement_summary(achievement)}, occurred_at=now,
                      achievement=achievement)


def _spec_of(achievement: Achievement) -> dict[str, Any]:
    """Return the achievement's definition in the form :func:`parse_achievement_spec` reads."""
    spec: dict[str, Any] = {name: getattr(achievement, name) for name in REVISABLE_FIELDS}
    spec["ctid"] = spec.pop("ce_ctid")
    spec["criteria"] = {"narrative": spec.pop("criteria_narrative"), "url": spec.pop("criteria_url")}
    spec["criteria"] = {k: v for k, v in spec["criteria"].items() if v}
    for name in ("credits_available", "clock_hours"):
        if spec[name] is not None:
            spec[name] = str(spec[name])
    for name in ("effective_date", "expiration_date"):
        if spec[name] is not None:
            spec[name] = spec[name].isoformat()
    return {key: value for key, value in spec.items() if value not in (None, "", [], {})}
