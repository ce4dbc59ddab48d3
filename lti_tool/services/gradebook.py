"""Post badge results to the LMS gradebook column of a badge link (AGS 2.0 §3.4 scores).

When an instructor asked for a gradebook column while placing a badge (Deep Linking ``lineItem``),
the link remembers its line item. Every award of that badge queues 1/1 for each LMS account of the
learner that the link's platform knows, and a revocation queues 0/1, in the award's transaction.
The runner posts them ``Completed`` / ``FullyGraded`` (Moodle ignores ``scoreGiven`` otherwise).

Answers: 2xx sent; 409 (Moodle: a score with this or a later timestamp exists) superseded, never
retried; other 4xx failed with what the LMS said; 5xx and unreachable retried with back-off.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from ..background import run_claimed, wake_on_commit
from ..lti import advantage as adv
from ..models import Award, GradebookScore, LtiResourceLink, LtiUser

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12


def gradebook_scores_queue(*, award: Award, earned: bool, now: datetime | None = None) -> int:
    """Queue the badge's result for every gradebook column of its links; return how many were queued.

    Call inside the transaction that writes the award or its revocation.
    """
    now = now or timezone.now()
    # Only links in courses the learner belongs to: a badge placed in several courses has a column in each.
    links = list(LtiResourceLink.objects.filter(achievement_id=award.achievement_id,
                                                context__memberships__user__learner_id=award.learner_id)
                 .exclude(lineitem_url="").select_related("deployment__registration", "context").distinct())
    queued = 0
    for link in links:
        if adv.AGS_SCORE not in (link.context.ags_scopes if link.context else []):
            continue  # the platform did not grant the score scope in this course
        for user in LtiUser.objects.filter(learner_id=award.learner_id,
                                           platform_id=link.deployment.registration.platform_id):
            last = (GradebookScore.objects.filter(link=link, user=user).aggregate(Max("timestamp"))
                    ["timestamp__max"])
            stamp = max(now, last + timedelta(seconds=1)) if last else now
            GradebookScore.objects.create(
                link=link, user=user, award=award, lineitem_url=link.lineitem_url,
                score_given=Decimal(1 if earned else 0), timestamp=stamp, next_at=now,
                comment=(f"Badge earned: {award.achievement.name}" if earned
                         else f"Badge revoked: {award.achievement.name}")[:500])
            queued += 1
    if queued:
        wake_on_commit()
    return queued


def gradebook_scores_run_due(*, limit: int = 100, now: datetime | None = None) -> int:
    """Post up to ``limit`` due scores; return how many were tried."""
    return run_claimed(lambda current: GradebookScore.objects.filter(status=GradebookScore.Status.PENDING,
                                                                     next_at__lte=current).order_by("timestamp", "pk"),
                       _post_recorded, lease=LEASE, limit=limit, now=now)


def _post_recorded(score: GradebookScore, now: datetime) -> None:
    try:
        _post(score, now)
    except Exception as error:  # e.g. no tool key: record it, never leave the row claimed
        logger.exception("gradebook score %s could not be posted", score.pk)
        GradebookScore.objects.filter(pk=score.pk).update(
            claimed_until=None, next_at=now + timedelta(minutes=2 ** min(score.attempts, 8)),
            last_error=f"{type(error).__name__}: {error}"[:2000],
            **({"status": GradebookScore.Status.FAILED} if score.attempts >= MAX_ATTEMPTS else {}))


def _post(score: GradebookScore, now: datetime) -> None:
    link = LtiResourceLink.objects.select_related("deployment__registration").get(pk=score.link_id)
    user = LtiUser.objects.get(pk=score.user_id)
    body = {"userId": user.sub, "scoreGiven": float(score.score_given), "scoreMaximum": 1,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "timestamp": score.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "comment": score.comment}
    update: dict = {"claimed_until": None}
    problem = ""
    try:
        response = adv.call(link.deployment.registration, adv.service_url(score.lineitem_url, "/scores"),
                            scopes=[adv.AGS_SCORE], accept="application/json", method="POST", body=body,
                            content_type=adv.SCORE)
    except adv.ServiceCallError as error:
        response, problem = None, str(error)
    if response is not None and 200 <= response.status < 300:
        update.update(status=GradebookScore.Status.SENT, sent_at=now, last_error="")
    elif response is not None and response.status == 409:
        update.update(status=GradebookScore.Status.SUPERSEDED, last_error=f"409 {adv.said(response)}")
    elif response is not None and 400 <= response.status < 500:
        update.update(status=GradebookScore.Status.FAILED, last_error=f"{response.status} {adv.said(response)}")
    else:
        if response is not None:
            problem = f"{response.status} {adv.said(response)}"
        if score.attempts >= MAX_ATTEMPTS:
            update.update(status=GradebookScore.Status.FAILED, last_error=problem[:2000])
        else:
            update.update(next_at=now + timedelta(minutes=2 ** min(score.attempts, 8)), last_error=problem[:2000])
    GradebookScore.objects.filter(pk=score.pk).update(**update)
    if update.get("status") in (GradebookScore.Status.FAILED, GradebookScore.Status.SUPERSEDED):
        logger.info("gradebook score %s for %s: %s", score.pk, user.sub, update.get("last_error"))
