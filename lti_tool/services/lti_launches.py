"""Record what a validated launch tells us and open a launch session for the pages it leads to.

Everything is scoped to the launch's deployment (the tenant): its course, its resource link, and the
badge a link shows (only a badge of the same deployment can be bound to a link).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import tool_settings
from ..lti import claims as c
from ..lti.launch import ValidatedLaunch
from ..lti.roles import tool_roles
from ..models import (
    Issuer,
    Learner,
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiMembership,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
)
from ..selectors import linkable_badge
from .errors import ServiceError
from .facts import fact_record
from .learners import SIS, learner_has_parked_events, learner_identity_linked, sis_scopes
from .lms_sync import lms_sync_on_launch

logger = logging.getLogger(__name__)

FAMILIES = {"moodle": "moodle", "canvas": "canvas", "openedx": "open-edx", "open-edx": "open-edx",
            "edx": "open-edx", "desire2learn": "brightspace", "d2l": "brightspace", "brightspace": "brightspace",
            "sakai": "sakai"}
BADGE_PARAMETER = "accolade_badge"
KEPT_CLAIMS = (c.AGS_ENDPOINT, c.NRPS, c.DL_SETTINGS, c.CUSTOM, c.LAUNCH_PRESENTATION, c.LIS, c.CONTEXT,
               c.RESOURCE_LINK, c.TOOL_PLATFORM)


class LaunchExpired(ServiceError):
    """Raise when a launch token is unknown or too old; the user must launch again from the course."""


@dataclass(frozen=True)
class OpenedLaunch:
    launch: LtiLaunch
    token: str


def lti_launch_open(*, validated: ValidatedLaunch) -> OpenedLaunch:
    """Record platform, user, course and link from a validated launch and open a launch session."""
    body = validated.claims
    deployment = validated.deployment
    platform = validated.registration.platform
    _note_family(platform, body)
    now = timezone.now()
    with transaction.atomic():
        user = _user(platform, body, deployment=deployment, now=now)
        context = _context(deployment, body)
        link = _resource_link(deployment, context, body) if body[c.MESSAGE_TYPE] == c.RESOURCE_LINK_REQUEST else None
        roles = sorted(tool_roles(body.get(c.ROLES, []), platform_family=platform.family))
        if context is not None:
            _membership(context, user, roles, body.get(c.ROLES, []), now)
        token = secrets.token_urlsafe(32)
        launch = LtiLaunch.objects.create(
            token_hash=hash_token(token), deployment=deployment, context=context, resource_link=link, user=user,
            message_type=body[c.MESSAGE_TYPE], roles=roles,
            claims={name: body[name] for name in KEPT_CLAIMS if name in body},
            expires_at=now + timedelta(seconds=int(tool_settings.LTI_LAUNCH_TTL)))
    return OpenedLaunch(launch=launch, token=token)


def lti_launch_get(*, token: str) -> LtiLaunch:
    """Return the open launch session for ``token``.

    Raises:
        LaunchExpired: unknown token, or the session is over.
    """
    if not token or len(token) > 100:
        raise LaunchExpired("this page needs a launch from your course; open the tool from the LMS again")
    launch = (LtiLaunch.objects.select_related("deployment__registration__platform", "deployment__issuer", "context",
                                               "resource_link__achievement__issuer",
                                               "resource_link__achievement__image", "user__learner")
              .filter(token_hash=hash_token(token)).first())
    if launch is None or launch.expires_at <= timezone.now():
        raise LaunchExpired("this launch has ended; open the tool from your course again")
    return launch


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _note_family(platform: LtiPlatform, body: dict[str, Any]) -> None:
    code = str(c.section(body, c.TOOL_PLATFORM).get("product_family_code", "")).lower()
    family = FAMILIES.get(code)
    if family and platform.family != family:
        LtiPlatform.objects.filter(pk=platform.pk).update(family=family)
        platform.family = family


def _user(platform: LtiPlatform, body: dict[str, Any], *, deployment: LtiDeployment, now) -> LtiUser:
    student_id, from_custom = _student_id(body)
    if from_custom and _held_by_another(platform, body["sub"], student_id, deployment.issuer):
        logger.warning("launch of %s on %s carries student id %s that another learner holds; ignored",
                       body["sub"], platform.issuer, student_id)
        student_id = ""
    sent = {"name": c.text(body, "name") or " ".join(filter(None, (c.text(body, "given_name"),
                                                                      c.text(body, "family_name")))),
            "given_name": c.text(body, "given_name"), "family_name": c.text(body, "family_name"),
            "email": c.text(body, "email"),
            "lis_person_sourcedid": student_id}
    where = {"deployment": str(deployment.uuid), "context": str(c.section(body, c.CONTEXT).get("id", "")),
             "at": now.isoformat()}
    return lti_user_upsert(platform=platform, sub=body["sub"], sent=sent, where=where, now=now, launched=True)


SIS_ID_PARAMETERS = ("sis_id", "student_id", "person_sourcedid")


def _student_id(body: dict[str, Any]) -> tuple[str, bool]:
    """Return the learner's student (SIS) id and whether it came from a custom parameter.

    Registrar research digest 4.1: ``lis.person_sourcedid`` is optional; an LMS admin can pass the
    SIS id as a custom parameter instead (Canvas: ``sis_id=$Canvas.user.sisSourceId``). In some
    LMSs teachers can type custom parameters on an activity too, so these count only when
    ``LTI_SIS_ID_FROM_CUSTOM`` says the institution set them up at the tool level.
    """
    lis = str(c.section(body, c.LIS).get("person_sourcedid", "") or "").strip()
    if lis:
        return lis, False
    if not tool_settings.LTI_SIS_ID_FROM_CUSTOM:
        return "", False
    custom = c.section(body, c.CUSTOM)
    for name in SIS_ID_PARAMETERS:
        value = custom.get(name)
        if isinstance(value, str) and value.strip() and not value.startswith("$"):  # "$…": not substituted
            return value.strip(), True
    return "", False


def _held_by_another(platform: LtiPlatform, sub: str, student_id: str, issuer: Issuer | None) -> bool:
    from ..models import LearnerIdentity

    other_account = LtiUser.objects.filter(platform=platform, lis_person_sourcedid=student_id).exclude(sub=sub)
    mine = LtiUser.objects.filter(platform=platform, sub=sub).values_list("learner_id", flat=True).first()
    other_identity = LearnerIdentity.objects.filter(kind=SIS, scope__in=sis_scopes(issuer), value=student_id) \
        .exclude(learner_id=mine)
    return other_account.exists() or other_identity.exists()


def lti_user_upsert(*, platform: LtiPlatform, sub: str, sent: dict[str, str], where: dict[str, str], now,
                    launched: bool) -> LtiUser:
    """Create or update the platform user ``sub`` with what the platform sent and where it came from.

    ``sent`` holds name, given_name, family_name, email, lis_person_sourcedid (empty: not sent);
    ``where`` says where they came from (deployment, context, time; ``source`` for NRPS rosters).
    """
    user = (LtiUser.objects.select_for_update(of=("self",)).select_related("learner")
            .filter(platform=platform, sub=sub).first())
    if user is None:
        user = _created(lambda: LtiUser.objects.create(
            platform=platform, sub=sub, learner=Learner.objects.create(display_name=sent["name"][:200])),
            lambda: LtiUser.objects.select_for_update(of=("self",)).select_related("learner")
            .get(platform=platform, sub=sub))
    changed = {field: {"value": value, **where} for field, value in sent.items()
               if value and user.claims.get(field, {}).get("value") != value}
    if changed:
        user.claims = {**user.claims, **changed}
    user.name = sent["name"][:300] or user.name
    user.email = sent["email"][:320] or user.email
    newly_matched = bool(sent["lis_person_sourcedid"]) and not user.lis_person_sourcedid
    user.lis_person_sourcedid = sent["lis_person_sourcedid"][:255] or user.lis_person_sourcedid
    if launched:
        user.last_launch_at = now
    user.save(update_fields=["claims", "name", "email", "lis_person_sourcedid", "last_launch_at"])
    if sent["name"] and user.learner.display_name != sent["name"][:200]:
        Learner.objects.filter(pk=user.learner_id).update(display_name=sent["name"][:200])
    if newly_matched and learner_has_parked_events(user.learner):
        learner_identity_linked(learner=user.learner, by=f"lms:{platform.issuer}"[:200], now=now)
    return user


def _created(create, get):
    """Return ``create()``, or ``get()`` when a concurrent launch created the same row first.

    Only the insert runs in a savepoint, so a returning user's launch (the common case) has none.
    """
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        return get()


def _membership(context: LtiContext, user: LtiUser, roles: list[str], lti_roles: list[Any], now) -> None:
    raw = [role for role in lti_roles if isinstance(role, str)][:50]
    fields = {"roles": roles, "lti_roles": raw, "status": "active", "last_seen_at": now}
    if LtiMembership.objects.filter(context=context, user=user).exclude(status="active").update(**fields):
        # The roster had them leave and here they are again: say so to the criteria, which award
        # nobody who has left (the next roster read confirms or corrects it).
        fact_record(context=context, learner=user.learner, kind="membership", key="",
                    value={"status": "Active", "roles": list(roles), "groups": []}, source="lti-launch",
                    observed_at=now, now=now)
    elif not LtiMembership.objects.filter(context=context, user=user).update(**fields):
        _created(lambda: LtiMembership.objects.create(context=context, user=user, **fields),
                 lambda: LtiMembership.objects.filter(context=context, user=user).update(**fields))


def _context(deployment, body: dict[str, Any]) -> LtiContext | None:
    context = c.section(body, c.CONTEXT)
    context_id = context.get("id")
    if not isinstance(context_id, str) or not context_id:
        return None
    sent = {"title": str(context.get("title") or "")[:500], "label": str(context.get("label") or "")[:255]}
    sent.update(context_services(body))
    record = LtiContext.objects.filter(deployment=deployment, context_id=context_id).first()
    if record is None:
        record = _created(lambda: LtiContext.objects.create(deployment=deployment, context_id=context_id, **sent),
                          lambda: LtiContext.objects.get(deployment=deployment, context_id=context_id))
        changed = list(sent)
    else:
        changed = [name for name, value in sent.items() if value is not None and getattr(record, name) != value]
        for name in changed:
            setattr(record, name, sent[name])
        if changed:
            record.save(update_fields=changed)
    services_changed = bool({"ags_lineitems_url", "nrps_url"} & set(changed))
    # After the launch commits: planning reads never holds a lock inside the launch's transaction.
    transaction.on_commit(lambda: lms_sync_on_launch(context=record, services_changed=services_changed))
    return record


def context_services(body: dict[str, Any]) -> dict[str, Any]:
    """Return the course's AGS line items URL and scopes and NRPS URL from a launch (None: not sent)."""
    ags, nrps = c.section(body, c.AGS_ENDPOINT), c.section(body, c.NRPS)
    found: dict[str, Any] = {}
    lineitems = ags.get("lineitems")
    if _service_url(lineitems):
        found["ags_lineitems_url"] = lineitems
        scopes = ags.get("scope")
        found["ags_scopes"] = sorted({s for s in scopes if isinstance(s, str)})[:10] if isinstance(scopes, list) else []
    memberships = nrps.get("context_memberships_url")
    if _service_url(memberships):
        found["nrps_url"] = memberships
    return found


def _service_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 1000


def _resource_link(deployment, context: LtiContext | None, body: dict[str, Any]) -> LtiResourceLink:
    link_claim = c.section(body, c.RESOURCE_LINK)
    ags = c.section(body, c.AGS_ENDPOINT)
    link_id = link_claim["id"]
    link = (LtiResourceLink.objects.select_related("achievement")
            .filter(deployment=deployment, resource_link_id=link_id).first())
    if link is None:
        link = _created(lambda: LtiResourceLink.objects.create(deployment=deployment, resource_link_id=link_id,
                                                               context=context),
                        lambda: LtiResourceLink.objects.select_related("achievement")
                        .get(deployment=deployment, resource_link_id=link_id))
    before = (link.title, link.context_id, link.lineitem_url, link.achievement_id)
    link.title = str(link_claim.get("title") or "")[:500]
    if link.context_id is None and context is not None:
        link.context = context
    # AGS 2.0 §3.1: ``lineitem`` is sent only while exactly one line item is bound to the link (Moodle
    # drops it when a second one is bound), so each launch replaces what the previous one said.
    lineitem = ags.get("lineitem")
    if isinstance(lineitem, str) and len(lineitem) > LtiResourceLink._meta.get_field("lineitem_url").max_length:
        logger.warning("line item URL of %d characters not kept for link %s", len(lineitem), link.resource_link_id)
        lineitem = None  # a cut URL would point at some other line item
    link.lineitem_url = lineitem if isinstance(lineitem, str) else ""
    badge = c.section(body, c.CUSTOM).get(BADGE_PARAMETER)
    if isinstance(badge, str) and badge and (link.achievement is None or str(link.achievement.uuid) != badge):
        chosen = linkable_badge(deployment=deployment, context=context, badge_uuid=badge)
        if chosen is not None:
            link.achievement = chosen
    if (link.title, link.context_id, link.lineitem_url, link.achievement_id) != before:
        link.save(update_fields=["title", "context", "lineitem_url", "achievement"])
    return link
