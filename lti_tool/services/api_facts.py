"""What adapters do through the API: post facts about learners, read badges and where learners stand.

Everything is inside the calling client's deployment (tenant): a course is its LTI ``context_id``
there, a learner is the platform's ``sub`` (the LTI user id the LMS sends in launches: Moodle's user
id, Open edX's anonymous user id). A course or learner not seen yet is created, as the first launch
would; the user's name and email, when sent, are recorded with the client as their source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..core.criteria.evaluate import Outcome
from ..core.criteria.rules import criteria_json, parse_criteria
from ..core.timefmt import TimeFormatError, parse_datetime
from ..models import Award, LtiContext, LtiUser
from ..selectors import badge_progress, course_badges
from .api_clients import Caller
from .errors import ServiceError
from .facts import FactRejectedError, fact_record

MAX_FACTS = 1000
# What an adapter may report: what happened in the LMS. Evidence reviews, sign-offs and badges held
# are the tool's own records and never come from outside.
API_KINDS = ("score", "activity", "course_completion", "course_grade", "membership")
FACT_FIELDS = {"context_id", "user", "kind", "key", "value", "observed_at"}


class NotFoundError(ServiceError):
    """Raise when a course or learner is not known in the caller's tenant."""


@dataclass(frozen=True)
class FactResult:
    index: int
    outcome: str  # created, updated, duplicate, stale, rejected
    error: str = ""


def api_facts_record(*, caller: Caller, facts: Any, now: datetime | None = None) -> list[FactResult]:
    """Record each fact on its own (one bad fact does not stop the others); return a result per fact.

    Raises:
        ServiceError: ``facts`` is not a list of 1 to ``MAX_FACTS`` items.
    """
    now = now or timezone.now()
    if not isinstance(facts, list) or not 1 <= len(facts) <= MAX_FACTS:
        raise ServiceError(f"send {{\"facts\": [...]}} with 1 to {MAX_FACTS} facts")
    results = []
    source = f"api:{caller.client.name}"[:64]
    for index, item in enumerate(facts):
        try:
            results.append(_record_one(caller, item, index, source, now))
        except (FactRejectedError, ServiceError) as error:
            results.append(FactResult(index, "rejected", str(error)))
    return results


def _record_one(caller: Caller, item: Any, index: int, source: str, now: datetime) -> FactResult:
    if not isinstance(item, Mapping):
        raise ServiceError("each fact must be an object")
    extra = set(item) - FACT_FIELDS
    if extra:
        raise ServiceError(f"unexpected field(s): {', '.join(sorted(extra))}")
    try:
        observed_at = parse_datetime(item.get("observed_at")) if item.get("observed_at") is not None else now
    except TimeFormatError as error:
        raise ServiceError(f"observed_at: {error}") from None
    if item.get("kind") not in API_KINDS:
        raise ServiceError(f"kind must be one of {', '.join(API_KINDS)}")
    with transaction.atomic():
        context = _course(caller, item.get("context_id"), create=True)
        user = _user(caller, item.get("user"), context, now)
        recorded = fact_record(context=context, learner=user.learner, kind=str(item.get("kind", "")),
                               key=item.get("key", ""), value=item.get("value"), source=source,
                               observed_at=observed_at, now=now)
    return FactResult(index, recorded.outcome)


def _course(caller: Caller, context_id: Any, *, create: bool) -> LtiContext:
    if not isinstance(context_id, str) or not context_id or len(context_id) > 255:
        raise ServiceError("context_id must be the course's LTI context id (1 to 255 characters)")
    deployment = caller.client.deployment
    context = LtiContext.objects.filter(deployment=deployment, context_id=context_id).first()
    if context is None:
        if not create:
            raise NotFoundError(f"no course {context_id!r} here")
        try:
            with transaction.atomic():
                context = LtiContext.objects.create(deployment=deployment, context_id=context_id)
        except IntegrityError:
            context = LtiContext.objects.get(deployment=deployment, context_id=context_id)
    return context


def _user(caller: Caller, user: Any, context: LtiContext, now: datetime) -> LtiUser:
    from .lti_launches import lti_user_upsert

    if not isinstance(user, Mapping) or not isinstance(user.get("sub"), str) or not user["sub"] \
            or len(user["sub"]) > 255:
        raise ServiceError("user must be {\"sub\": <the LTI user id>} (optionally name, email)")
    platform = caller.client.deployment.registration.platform
    known = LtiUser.objects.select_related("learner").filter(platform=platform, sub=user["sub"]).first()
    if known is not None:
        return known  # the platform's own launches and roster say who this is; an adapter does not rename
    sent = {name: str(user.get(name) or "").strip()[:300] for name in ("name", "email")}
    sent.update(given_name="", family_name="", lis_person_sourcedid="")
    where = {"deployment": str(caller.client.deployment.uuid), "context": context.context_id, "at": now.isoformat(),
             "source": f"api:{caller.client.name}"}
    return lti_user_upsert(platform=platform, sub=user["sub"], sent=sent, where=where, now=now, launched=False)


def api_course_badges(*, caller: Caller, context_id: str) -> list[dict[str, Any]]:
    """Return the course's badges with their criteria (JSON form)."""
    context = _course(caller, context_id, create=False)
    return [{"id": str(badge.uuid), "name": badge.name, "description": badge.description,
             "credential_achievement": badge.public_id,
             "criteria": criteria_json(parse_criteria(badge.criteria_rules)) if badge.criteria_rules else None}
            for badge in course_badges(deployment=caller.client.deployment, context=context)]


def api_learner_badges(*, caller: Caller, context_id: str, sub: str) -> list[dict[str, Any]]:
    """Return where one learner stands with each badge of the course: earned, progress, requirements."""
    context = _course(caller, context_id, create=False)
    user = LtiUser.objects.select_related("learner").filter(
        platform=caller.client.deployment.registration.platform, sub=sub).first()
    if user is None:
        raise NotFoundError(f"no learner {sub!r} here")
    badges = list(course_badges(deployment=caller.client.deployment, context=context))
    awards: dict[str, Award] = {}  # by credential lineage: a holder of an earlier version holds the credential
    for award in Award.objects.current().filter(
            learner=user.learner, achievement__lineage__in={b.lineage for b in badges}, revoked_at__isnull=True) \
            .annotate(lineage=F("achievement__lineage")).order_by("-issued_at"):
        awards.setdefault(str(award.lineage), award)
    answer = []
    for badge in badges:
        award = awards.get(str(badge.lineage))
        entry: dict[str, Any] = {"id": str(badge.uuid), "name": badge.name, "earned": award is not None,
                                 "credential": award.public_id if award else None, "progress": None}
        if badge.criteria_rules:
            outcome: Outcome = badge_progress(context=context, achievement=badge, learners=[user.learner])[
                user.learner_id]
            entry["progress"] = {"status": outcome.status.name.lower(), "done": outcome.done,
                                 "needed": outcome.needed,
                                 "requirements": [{"id": leaf.id, "status": leaf.status.name.lower(),
                                                   "reason": leaf.reason} for leaf in outcome.leaves()]}
        answer.append(entry)
    return answer

