"""Read course facts from the LMS through LTI Advantage: AGS results (scores) and the NRPS roster.

Each course has one :class:`~lti_tool.models.CourseSync` row per kind; ``next_at`` is the pending
work. A launch brings it forward when the last good read is older than
``LMS_SYNC_ON_LAUNCH_AFTER``; after each read the next is planned ``LMS_SYNC_INTERVAL`` later; a
failure backs off. The background runner (:mod:`lti_tool.background`) reads due courses; nothing
here runs inside a launch.

What a read records (through :func:`~lti_tool.services.facts.fact_record`, which queues changed
learners for re-evaluation):

* AGS 2.0 §3.3 results: a ``score`` fact per learner and line item, key ``ags:<line item id>``,
  ``given`` = ``resultScore`` (absent for Moodle's pending results: "no score yet"), ``maximum`` =
  ``resultMaximum`` or the line item's ``scoreMaximum``, at the result's ``timestamp``. AGS only
  shows a tool its own line items on Moodle, Canvas and Open edX; other course facts come from the
  XBlock and the Moodle bridge.
* NRPS 2.0 §2.3 members: the user (with provenance ``nrps``), the membership (tool roles, status)
  and a ``membership`` fact. A full roster marks members who are no longer listed as ``Deleted``;
  between full reads the ``rel=differences`` link (when offered) reads only the changes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..background import run_claimed, wake_on_commit
from ..conf import tool_settings
from ..core.timefmt import TimeFormatError, parse_datetime
from ..lti import advantage as adv
from ..lti.roles import tool_roles
from ..models import CourseSync, LtiContext, LtiMembership, LtiUser
from .facts import FactRejectedError, fact_record

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)  # longer than any read should take; a longer one may be read twice, harmlessly
MAX_BACKOFF = timedelta(hours=6)
SOURCE_AGS, SOURCE_NRPS = "ags", "nrps"


def lms_sync_on_launch(*, context: LtiContext, services_changed: bool, now: datetime | None = None) -> None:
    """Plan the course's reads when a launch shows its services: at once if stale, never blocking the launch.

    One UPDATE for a course already known; the rows are created when a launch first shows a service.
    """
    now = now or timezone.now()
    kinds = [kind for kind, url in ((CourseSync.Kind.AGS, context.ags_lineitems_url),
                                    (CourseSync.Kind.NRPS, context.nrps_url)) if url]
    if not kinds:
        return
    # At most one look a minute per course and process: a lecture's launches make no query here.
    if not cache.add(f"accolade:sync-planned:{context.pk}", 1, timeout=60) and not services_changed:
        return
    if services_changed:
        for kind in kinds:
            CourseSync.objects.get_or_create(context=context, kind=kind, defaults={"next_at": now})
    stale = now - timedelta(seconds=float(tool_settings.LMS_SYNC_ON_LAUNCH_AFTER))
    brought = (CourseSync.objects.filter(context=context, kind__in=kinds)
               .filter(Q(last_success_at__isnull=True) | Q(last_success_at__lt=stale))
               .filter(Q(next_at__isnull=True) | Q(next_at__gt=now)).update(next_at=now))
    if brought or services_changed:
        wake_on_commit()


def lms_sync_request(*, context: LtiContext, kind: str, now: datetime | None = None) -> CourseSync:
    """Ask for a read of the course now (an instructor's "sync now", the schedule, a test)."""
    now = now or timezone.now()
    sync, _ = CourseSync.objects.get_or_create(context=context, kind=kind, defaults={"next_at": now})
    if sync.next_at is None or sync.next_at > now:
        CourseSync.objects.filter(pk=sync.pk).update(next_at=now)
    wake_on_commit()
    return sync


def lms_syncs_run_due(*, limit: int = 20, now: datetime | None = None) -> int:
    """Claim and run up to ``limit`` due course reads; return how many ran (failed ones included)."""
    return run_claimed(lambda current: CourseSync.objects.filter(next_at__lte=current).order_by("next_at", "pk"),
                       _sync, lease=LEASE, limit=limit, now=now, last_started_at=now or timezone.now())


def _sync(claimed: CourseSync, current: datetime) -> None:
    sync = CourseSync.objects.select_related("context__deployment__registration__platform").get(pk=claimed.pk)
    try:
        if sync.kind == CourseSync.Kind.AGS:
            summary = context_ags_sync(context=sync.context, now=current)
        else:
            summary = context_nrps_sync(context=sync.context, sync=sync, now=current)
    except Exception as error:  # recorded on the row, retried with back-off; facts already kept stay
        logger.warning("%s sync of course %s failed: %s", sync.kind, sync.context_id, error)
        backoff = min(timedelta(minutes=2 ** min(sync.attempts, 10)), MAX_BACKOFF)
        CourseSync.objects.filter(pk=sync.pk, attempts=sync.attempts).update(
            claimed_until=None, next_at=current + backoff, last_error=f"{type(error).__name__}: {error}"[:2000])
        return
    interval = timedelta(seconds=float(tool_settings.LMS_SYNC_INTERVAL))
    CourseSync.objects.filter(pk=sync.pk, attempts=sync.attempts).update(  # only if still ours
        claimed_until=None, attempts=0, last_success_at=current, last_error="", summary=summary,
        next_at=current + interval,
        **({"differences_url": summary.pop("differences_url", "")} if sync.kind == CourseSync.Kind.NRPS else {}))


# -- AGS ------------------------------------------------------------------------------------------

def context_ags_sync(*, context: LtiContext, now: datetime) -> dict[str, Any]:
    """Read every line item's results for the course and record them as score facts; return a summary."""
    registration = context.deployment.registration
    granted = set(context.ags_scopes)
    if adv.AGS_RESULT_READONLY not in granted:
        raise adv.ServiceCallError("the platform did not grant the result.readonly scope for this course")
    item_scope = adv.AGS_LINEITEM if adv.AGS_LINEITEM in granted else adv.AGS_LINEITEM_READONLY
    scopes = [item_scope, adv.AGS_RESULT_READONLY]  # one token serves the whole read
    items = adv.read_all(registration, context.ags_lineitems_url, scopes=scopes, accept=adv.LINEITEM_CONTAINER).items
    users: dict[str, LtiUser] = {}
    counts = {"line_items": 0, "results": 0, "recorded": 0, "unchanged": 0, "unmatched": 0, "rejected": 0}
    described = []
    for item in items:
        item_id = item.get("id")
        if not isinstance(item_id, str) or not adv.same_origin(item_id, context.ags_lineitems_url):
            counts["rejected"] += 1
            continue
        counts["line_items"] += 1
        maximum = item.get("scoreMaximum")
        described.append({"key": f"ags:{item_id}", "label": str(item.get("label") or "")[:200],
                          "scoreMaximum": maximum if isinstance(maximum, int | float) else None,
                          "resourceLinkId": str(item.get("resourceLinkId") or "")[:255],
                          "tag": str(item.get("tag") or "")[:255]})
        results = adv.read_all(registration, adv.service_url(item_id, "/results"), scopes=scopes,
                               accept=adv.RESULT_CONTAINER).items
        wanted = {str(r.get("userId", "")) for r in results} - set(users)
        users.update(_users_by_sub(registration.platform_id, wanted))
        for result in results:
            counts["results"] += 1
            user = users.get(str(result.get("userId", "")))
            if user is None:
                counts["unmatched"] += 1  # not launched yet and not on the roster: the NRPS read adds them
                continue
            outcome = _record_result(context, user, item_id, maximum, result, now)
            counts[outcome] += 1
    return {**counts, "items": described[:200]}


def _record_result(context: LtiContext, user: LtiUser, item_id: str, item_maximum: Any, result: dict[str, Any],
                   now: datetime) -> str:
    at = _time(result.get("timestamp"), now)
    maximum = result.get("resultMaximum", item_maximum)
    value = {"given": result.get("resultScore"), "maximum": maximum, "at": at.isoformat()}
    try:
        with transaction.atomic():
            recorded = fact_record(context=context, learner=user.learner, kind="score", key=f"ags:{item_id}",
                                   value=value, source=SOURCE_AGS, observed_at=at, now=now)
    except FactRejectedError as error:
        logger.info("AGS result for %s on %s refused: %s", user.sub, item_id, error)
        return "rejected"
    return "recorded" if recorded.changed else "unchanged"


def _time(value: Any, now: datetime) -> datetime:
    """Return the result's timestamp, or now when it is missing, malformed or ahead of our clock."""
    try:
        at = parse_datetime(value)
    except TimeFormatError:
        return now
    return at if at <= now else now


def _users_by_sub(platform_id: int, subs: set[str]) -> dict[str, LtiUser]:
    found: dict[str, LtiUser] = {}
    ordered = sorted(subs)
    for start in range(0, len(ordered), 500):  # under SQLite's bound-parameter limit
        found.update((user.sub, user) for user in LtiUser.objects.filter(
            platform_id=platform_id, sub__in=ordered[start:start + 500]).select_related("learner"))
    return found


# -- NRPS -----------------------------------------------------------------------------------------

def context_nrps_sync(*, context: LtiContext, sync: CourseSync | None = None, now: datetime) -> dict[str, Any]:
    """Read the course roster and keep users, memberships and membership facts current; return a summary."""
    from .lti_launches import lti_user_upsert  # launches import this module for lms_sync_on_launch

    registration = context.deployment.registration
    platform = registration.platform
    full_every = timedelta(seconds=float(tool_settings.LMS_SYNC_FULL_ROSTER_EVERY))
    differences = sync is not None and sync.differences_url and sync.last_success_at is not None \
        and (sync.summary or {}).get("full_at") and \
        parse_datetime((sync.summary or {})["full_at"]) > now - full_every
    url = sync.differences_url if differences else context.nrps_url
    page = adv.read_all(registration, url, scopes=[adv.NRPS_READONLY], accept=adv.MEMBERSHIP_CONTAINER,
                        member_key="members")
    counts = {"members": 0, "recorded": 0, "unchanged": 0, "left": 0, "rejected": 0}
    listed: set[int] = set()
    for member in page.items:
        sub = member.get("user_id")
        if not isinstance(sub, str | int) or isinstance(sub, bool) or not str(sub) or len(str(sub)) > 255:
            counts["rejected"] += 1
            continue
        counts["members"] += 1
        sent = {"name": _text(member.get("name")) or " ".join(filter(None, (_text(member.get("given_name")),
                                                                             _text(member.get("family_name"))))),
                "given_name": _text(member.get("given_name")), "family_name": _text(member.get("family_name")),
                "email": _text(member.get("email")), "lis_person_sourcedid": _text(member.get("lis_person_sourcedid"))}
        where = {"deployment": str(context.deployment.uuid), "context": context.context_id, "at": now.isoformat(),
                 "source": "nrps"}
        status = member.get("status", "Active")
        status = status if status in ("Active", "Inactive", "Deleted") else "Active"
        lti_roles = [role for role in member.get("roles", []) if isinstance(role, str)][:50] \
            if isinstance(member.get("roles"), list) else []
        roles = sorted(tool_roles(lti_roles, platform_family=platform.family))
        with transaction.atomic():
            user = lti_user_upsert(platform=platform, sub=str(sub), sent=sent, where=where, now=now, launched=False)
            listed.add(user.pk)
            _membership(context, user, roles, lti_roles, status, now)
            outcome = _record_membership(context, user, status, roles, now)
        counts[outcome] += 1
    if not differences:  # a full roster: whoever is not on it has left the course
        gone = (LtiMembership.objects.filter(context=context).exclude(user_id__in=listed)
                .exclude(status="deleted").select_related("user__learner"))
        for membership in gone:
            with transaction.atomic():
                LtiMembership.objects.filter(pk=membership.pk).update(status="deleted", last_seen_at=now)
                _record_membership(context, membership.user, "Deleted", membership.roles, now)
            counts["left"] += 1
    summary: dict[str, Any] = {**counts, "mode": "differences" if differences else "full",
                               "differences_url": page.links.get("differences", "")}
    summary["full_at"] = (sync.summary or {}).get("full_at") if differences and sync else now.isoformat()
    return summary


def _membership(context: LtiContext, user: LtiUser, roles: list[str], lti_roles: list[str], status: str,
                now: datetime) -> None:
    fields = {"roles": roles, "lti_roles": lti_roles, "status": status.lower(), "source": "nrps", "last_seen_at": now}
    if not LtiMembership.objects.filter(context=context, user=user).update(**fields):
        LtiMembership.objects.create(context=context, user=user, **fields)


def _record_membership(context: LtiContext, user: LtiUser, status: str, roles: list[str], now: datetime) -> str:
    try:
        recorded = fact_record(context=context, learner=user.learner, kind="membership", key="",
                               value={"status": status, "roles": list(roles), "groups": []}, source=SOURCE_NRPS,
                               observed_at=now, now=now)
    except FactRejectedError:
        return "rejected"
    return "recorded" if recorded.changed else "unchanged"


def _text(value: Any) -> str:
    return value.strip()[:300] if isinstance(value, str) else ""
