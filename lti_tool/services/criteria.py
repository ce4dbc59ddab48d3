"""Badge criteria in the course: set a badge's rules, evaluate learners, award and revoke by rule.

Awards made here go through :func:`~lti_tool.services.awards.award_issue` like every other award
(source ``rule``), in the same transaction that marks the pending evaluation done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..background import run_claimed
from ..core.criteria.evaluate import NOT_MET, Explainer, Outcome
from ..core.criteria.facts import Earned, LearnerFacts, MemberStatus
from ..core.criteria.graph import order
from ..core.criteria.policy import Action, AwardPolicy, Decision, Standing, decide
from ..core.criteria.rules import CriteriaError, criteria_json, parse_criteria, prerequisites
from ..evaluation_reads import AwardRow, badge_versions, cache_course_badges, cached_course_badges, learner_state_load
from ..models import Achievement, Award, CourseFact, Learner, LtiContext, LtiMembership, PendingEvaluation
from ..public_ids import parse_uuid
from ..selectors import BADGE_POLICY_FIELDS, badge_rules, facts_for_badge, lineage_versions
from .awards import award_issue, award_revoke
from .errors import InvalidSpecError, NotIssuableError
from .facts import evaluation_request

logger = logging.getLogger(__name__)

RULES_ACTOR = "accolade:rules"  # issued_by / revoked_by of what the rules did
RULE_SOURCE = "rule"
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


def achievement_rules_set(*, achievement: Achievement, rules: Any, revoke_on_regression: bool = False,
                          retroactive: bool = True, now: datetime | None = None) -> Achievement:
    """Give a course badge its criteria and award policy, then queue the course for evaluation.

    Raises:
        InvalidSpecError: the rules do not parse, name a badge that is not in this tenant, make
            badge prerequisites loop, or the badge is approved (its meaning changes by new version only).
    """
    now = now or timezone.now()
    state = Achievement.objects.only("approved_at", "status", "approval_requested_at").get(pk=achievement.pk)
    if state.approved_at is not None and state.status != Achievement.Status.DRAFT:
        raise InvalidSpecError([f"{achievement.name} is approved by the registrar; change its criteria in a new "
                                "version (achievement_revise), which the registrar approves again"])
    if state.approval_requested_at is not None or state.status == Achievement.Status.SUBMITTED:
        raise InvalidSpecError([f"{achievement.name} is waiting for the registrar, who is looking at these "
                                "criteria; ask for it back (returned) before changing them"])
    try:
        tree = parse_criteria(rules)
    except CriteriaError as error:
        raise InvalidSpecError([str(error)]) from None
    required = prerequisites(tree)
    known = {str(value) for value in Achievement.objects.filter(
        deployment_id=achievement.deployment_id, uuid__in=[parse_uuid(v) for v in required if parse_uuid(v)]
    ).values_list("uuid", flat=True)}
    missing = sorted(required - known)
    if missing:
        raise InvalidSpecError([f"criteria name badge(s) not found here: {', '.join(missing)}"])
    graph = {str(other.uuid): prerequisites(parse_criteria(other.criteria_rules)) for other in Achievement.objects
             .filter(deployment_id=achievement.deployment_id, criteria_rules__isnull=False).exclude(pk=achievement.pk)}
    graph[str(achievement.uuid)] = required
    try:
        order(graph)
    except CriteriaError as error:
        raise InvalidSpecError([str(error)]) from None
    with transaction.atomic():
        achievement.criteria_rules = criteria_json(tree)
        achievement.revoke_on_regression = revoke_on_regression
        achievement.retroactive = retroactive
        if achievement.rules_active_since is None and achievement.issuable:
            achievement.rules_active_since = now
        achievement.save(update_fields=["criteria_rules", "revoke_on_regression", "retroactive",
                                        "rules_active_since", "updated_at"])
        if achievement.lti_context_id is not None:
            evaluation_request(context=achievement.lti_context, learner=None, reason="rules_changed", now=now)
    return achievement


@dataclass(frozen=True)
class BadgeResult:
    achievement: Achievement
    outcome: Outcome
    decision: Decision
    award: Award | None = None


def course_rule_badges(*, context: LtiContext) -> list[tuple[Achievement, Explainer]]:
    """Return the course's issuable badges that have rules, prerequisites first, with their explainers.

    One version per credential lineage: the active one, else the newest approved one. (A new version
    approved but not yet activated waits; the version it replaces keeps issuing until then.)
    Kept per process for as long as every badge's (id, updated_at, status) in the database is unchanged.
    """
    versions = badge_versions(deployment_id=context.deployment_id, context_id=context.pk)
    held = cached_course_badges(context.pk, versions)
    if held is not None:
        return held
    per_lineage: dict[str, Achievement] = {}
    for badge in Achievement.objects.filter(
            deployment_id=context.deployment_id, lti_context=context, criteria_rules__isnull=False,
            status__in=Achievement.ISSUABLE).only(*BADGE_POLICY_FIELDS):  # the full badge is read only to award it
        rival = per_lineage.get(str(badge.lineage))
        if rival is None or _issues_first(badge) > _issues_first(rival):
            per_lineage[str(badge.lineage)] = badge
    badges = {str(a.uuid): a for a in per_lineage.values()}
    compiled = {key: badge_rules(badge) for key, badge in badges.items()}
    # A prerequisite names one version; the course's badge of the same credential goes first.
    named = set().union(*(needs for needs, _explainer in compiled.values()))
    course_key = {str(uuid): str(per_lineage[str(lineage)].uuid) for uuid, lineage in Achievement.objects.filter(
        uuid__in=[u for u in map(parse_uuid, named) if u]).values_list("uuid", "lineage")
        if str(lineage) in per_lineage}
    ordered = order({key: {course_key.get(need, need) for need in needs} & badges.keys()
                     for key, (needs, _explainer) in compiled.items()})
    result = [(badges[key], compiled[key][1]) for key in ordered]
    cache_course_badges(context.pk, versions, result)
    return result


def _issues_first(badge: Achievement) -> tuple[bool, int]:
    return badge.status == Achievement.Status.ACTIVE, badge.version_number


def _latest_per_lineage(achievements: list[Achievement], learner: Learner) -> dict[str, Award]:
    """Return the learner's latest award per credential lineage of ``achievements``, in one query.

    A standing belongs to the credential, not to one version of it: the latest award of any version
    counts, so a new version is not awarded again to holders of the old one.
    """
    latest: dict[str, Award] = {}
    for award in (Award.objects.filter(achievement__lineage__in={a.lineage for a in achievements}, learner=learner)
                  .annotate(lineage=F("achievement__lineage")).order_by("-issued_at", "-pk")
                  .only("achievement_id", "source", "revoked_at", "revoked_by", "valid_until", "is_current")):
        latest.setdefault(str(award.lineage), award)
    return latest


def _standing(latest: Award | AwardRow | None, now: datetime) -> Standing:
    if latest is None:
        return Standing.NONE
    if latest.revoked_at is not None:
        return Standing.REVOKED_BY_RULE if latest.revoked_by == RULES_ACTOR else Standing.REVOKED_BY_PERSON
    if latest.valid_until is not None and latest.valid_until <= now:
        return Standing.EXPIRED
    return Standing.ACTIVE_BY_RULE if latest.source == RULE_SOURCE else Standing.ACTIVE_BY_PERSON


def learner_evaluate(*, context: LtiContext, learner: Learner, now: datetime | None = None,
                     badges: list[tuple[Achievement, Explainer]] | None = None,
                     facts: LearnerFacts | None = None) -> list[BadgeResult]:
    """Evaluate every rule badge of the course for one learner and act on the decisions.

    Prerequisites are evaluated first, and a badge awarded here counts for the badges after it.
    Call inside a transaction to make the awards and the caller's bookkeeping one unit.
    """
    now = now or timezone.now()
    badges = course_rule_badges(context=context) if badges is None else badges
    if not badges:
        return []
    latest: dict[str, Award | AwardRow]
    if facts is None:
        facts, latest = learner_state_load(context_id=context.pk, deployment_id=context.deployment_id,
                                           learner_id=learner.pk, learner_uuid=str(learner.uuid), now=now)
    else:
        latest = _latest_per_lineage([badge for badge, _explainer in badges], learner)
    results = []
    left = facts.membership is not None and facts.membership.status is not MemberStatus.ACTIVE
    for achievement, explainer in badges:
        outcome = explainer(facts_for_badge(facts, achievement))
        held = latest.get(str(achievement.lineage))
        standing = _standing(held, now)
        policy = AwardPolicy(re_earnable=achievement.re_earnable,
                             revoke_on_regression=achievement.revoke_on_regression,
                             retroactive=achievement.retroactive)
        decision = decide(policy, outcome.status, standing, met_at=outcome.at,
                          activated_at=achievement.rules_active_since, left_course=left)
        award = None
        if decision.action is Action.AWARD:
            award = _award(Achievement.objects.select_related("issuer").get(pk=achievement.pk), learner, context,
                           outcome, now)
            if award is not None:
                facts = _with_badge(facts, achievement, now)
        elif decision.action is Action.REVOKE and held is not None and held.achievement_id != achievement.pk:
            award = _revoke_earlier_version(held.achievement_id, learner, facts, now)
        elif decision.action is Action.REVOKE:
            award = _revoke(achievement, learner, outcome, now)
        results.append(BadgeResult(achievement, outcome, decision, award))
    return results


def _award(achievement: Achievement, learner: Learner, context: LtiContext, outcome: Outcome,
           now: datetime) -> Award | None:
    met = [leaf for leaf in outcome.leaves() if leaf.met]
    narrative = (f"Awarded automatically: the criteria of this badge were met in "
                 f"{context.title or context.context_id} ({len(met)} requirement{'s' if len(met) != 1 else ''} "
                 f"met: {', '.join(leaf.id for leaf in met)}).")
    try:
        with transaction.atomic():
            return award_issue(achievement=achievement, learner=learner, issued_by=RULES_ACTOR, source=RULE_SOURCE,
                               narrative=narrative, now=now)
    except NotIssuableError as error:  # e.g. outside the badge's dates, or awarded meanwhile by a person
        logger.info("rules could not award %s to %s: %s", achievement.uuid, learner.uuid, error)
        return None


def _revoke(achievement: Achievement, learner: Learner, outcome: Outcome, now: datetime) -> Award | None:
    award = (Award.objects.current().filter(achievement=achievement, learner=learner, revoked_at__isnull=True,
                                            source=RULE_SOURCE).order_by("-issued_at").first())
    if award is None:
        return None
    failing = [leaf.id for leaf in outcome.leaves() if leaf.status == 0]
    reason = f"No longer meets the badge's criteria (not met: {', '.join(failing) or 'see criteria'})."
    return award_revoke(award=award, reason=reason, revoked_by=RULES_ACTOR, now=now)


def _revoke_earlier_version(achievement_id: int, learner: Learner, facts: LearnerFacts, now: datetime) -> Award | None:
    """Take back an award of an earlier version only if the learner falls below *that* version's rules.

    An issued award keeps the meaning it was issued with (a new version may ask more): the earlier
    version's own criteria and regression policy decide, over the same facts.
    """
    earlier = Achievement.objects.only(*BADGE_POLICY_FIELDS).get(pk=achievement_id)
    if not earlier.criteria_rules or not earlier.revoke_on_regression:
        return None
    outcome = badge_rules(earlier)[1](facts_for_badge(facts, earlier))
    if outcome.status != NOT_MET:
        return None
    return _revoke(earlier, learner, outcome, now)


def _with_badge(facts: LearnerFacts, achievement: Achievement, now: datetime) -> LearnerFacts:
    earned = dict.fromkeys(lineage_versions([achievement.lineage])[achievement.lineage], Earned(now, "accolade"))
    return replace(facts, badges=MappingProxyType({**facts.badges, **earned}))


# -- pending work --------------------------------------------------------------------------------

def course_learners(*, context: LtiContext) -> list[Learner]:
    """Return the learners of a course: members with the learner role and anyone with facts in it."""
    ids = {learner_id for learner_id, roles in
           LtiMembership.objects.filter(context=context).values_list("user__learner_id", "roles")
           if "learner" in (roles or ())}
    ids |= set(CourseFact.objects.filter(context=context).values_list("learner_id", flat=True).distinct())
    return list(Learner.objects.filter(pk__in=ids).order_by("pk"))


def evaluations_run_due(*, limit: int = 100, now: datetime | None = None) -> int:
    """Claim and run up to ``limit`` due evaluations; return how many were run.

    A claim is a lease (``claimed_until``); a worker that dies mid-way leaves the row to be claimed
    again when the lease ends. A course-wide request fans out into one request per learner.
    """
    return run_claimed(evaluations_due, _evaluate, lease=LEASE, limit=limit, now=now)


def evaluations_due(now: datetime):
    """Return the evaluations due at ``now``, oldest first (claimed or not)."""
    return PendingEvaluation.objects.filter(done_at__isnull=True, not_before__lte=now).order_by("not_before", "pk")


def _evaluate(job: PendingEvaluation, current: datetime) -> None:
    try:
        with transaction.atomic():
            if job.learner_id is None:
                for learner in course_learners(context=job.context):
                    evaluation_request(context=job.context, learner=learner, reason=job.reason, now=current)
            else:
                learner_evaluate(context=job.context, learner=job.learner, now=current)
            # Done only if no new fact asked for this row while it ran; else free it to run again.
            if not PendingEvaluation.objects.filter(pk=job.pk, asks=job.asks).update(
                    done_at=current, claimed_until=None):
                PendingEvaluation.objects.filter(pk=job.pk).update(claimed_until=None)
    except Exception as error:  # recorded on the row and retried with back-off
        logger.exception("evaluation %s failed", job.pk)
        backoff = min(timedelta(seconds=30 * 2 ** min(job.attempts, 10)), MAX_BACKOFF)
        PendingEvaluation.objects.filter(pk=job.pk).update(
            claimed_until=None, not_before=current + backoff, last_error=f"{type(error).__name__}: {error}"[:2000])


