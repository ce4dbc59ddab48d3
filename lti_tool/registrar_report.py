"""What the registrar sees (research digest 5.5), as read-only selectors.

Approvals waiting, the feed's state per endpoint, the reconciliation of awards, learners the SIS
cannot match, identifier conflicts, and what was disclosed to whom (34 CFR §99.32). The
registrar's actions are services.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import Achievement, FeedDelivery, FeedEndpoint, FeedEvent, Issuer, Learner, LtiUser
from .services.learners import SIS, identities_for, issuer_platform_ids, lms_accounts_for

CREDENTIAL_TYPES = ("credential.awarded", "credential.revoked", "credential.expired", "credential.reissued")


def registrar_issuers(*, user: Any) -> list[Issuer]:
    """Return the issuers this signed-in person is registrar for (every issuer for a superuser)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Issuer.objects.order_by("name"))
    return list(Issuer.objects.filter(registrar_roles__user=user).order_by("name"))


def report_range(start: str | None, end: str | None) -> tuple[date, date]:
    """Return the report's first and last day (default: the last 30 days); bad dates fall back."""
    today = timezone.now().date()
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        last = today
    try:
        first = date.fromisoformat(start) if start else last - timedelta(days=30)
    except ValueError:
        first = last - timedelta(days=30)
    return min(first, last), max(first, last)


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (datetime.combine(first, time.min, tzinfo=zone), datetime.combine(last + timedelta(days=1), time.min,
                                                                             tzinfo=zone))


@dataclass(frozen=True)
class EndpointRow:
    endpoint: FeedEndpoint
    counts: dict[str, int]


@dataclass(frozen=True)
class UnmatchedRow:
    learner: Learner
    waiting: int
    since: datetime
    accounts: list[LtiUser]
    emails: list[str]


@dataclass(frozen=True)
class ConflictRow:
    value: str
    learners: list[Learner]
    reason: str


@dataclass
class Report:
    first: date
    last: date
    counts: dict[str, int] = field(default_factory=dict)
    endpoints: list[EndpointRow] = field(default_factory=list)
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    conflicts: list[ConflictRow] = field(default_factory=list)
    queue: list[Achievement] = field(default_factory=list)
    catalog: list[Achievement] = field(default_factory=list)
    disclosures: list[FeedDelivery] = field(default_factory=list)


def registrar_report(*, issuer: Issuer, first: date, last: date) -> Report:
    """Return everything the registrar page shows for an issuer and a date range."""
    start, end = _bounds(first, last)
    report = Report(first, last)
    in_range = FeedEvent.objects.filter(issuer=issuer, occurred_at__gte=start, occurred_at__lt=end)
    by_type = dict(in_range.values_list("type").annotate(n=Count("pk")).values_list("type", "n"))
    report.counts = {kind.split(".", 1)[1]: by_type.get(kind, 0) for kind in CREDENTIAL_TYPES}
    for endpoint in FeedEndpoint.objects.filter(issuer=issuer).order_by("name"):
        rows = FeedDelivery.objects.filter(endpoint=endpoint, event__in=in_range)
        counts = rows.aggregate(
            delivered=Count("pk", filter=Q(status=FeedDelivery.Status.DELIVERED)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            waiting=Count("pk", filter=Q(status=FeedDelivery.Status.PENDING, attempts=0)),
            failing=Count("pk", filter=Q(status=FeedDelivery.Status.PENDING, attempts__gt=0)),
            parked=Count("pk", filter=Q(status=FeedDelivery.Status.PARKED)),
            dead=Count("pk", filter=Q(status=FeedDelivery.Status.DEAD)))
        report.endpoints.append(EndpointRow(endpoint, counts))
    parked = (FeedDelivery.objects.filter(endpoint__issuer=issuer, status=FeedDelivery.Status.PARKED)
              .values("learner_id").annotate(n=Count("event_id", distinct=True), since=Min("event__occurred_at")))
    learners = {learner.pk: learner for learner in Learner.objects.filter(pk__in=[row["learner_id"] for row in parked])
                .prefetch_related("identities", "lti_accounts__platform")}
    platforms = issuer_platform_ids(issuer)
    for row in sorted(parked, key=lambda r: r["since"]):
        learner = learners[row["learner_id"]]
        report.unmatched.append(UnmatchedRow(
            learner, row["n"], row["since"], lms_accounts_for(learner, issuer, platforms),
            sorted(i.value for i in learner.identities.all() if i.kind == "emailAddress")))
    report.conflicts = identifier_conflicts(issuer=issuer)
    put_forward = Q(status=Achievement.Status.ACTIVE, approval_requested_at__isnull=False, approved_at__isnull=True)
    report.queue = list(Achievement.objects.filter(issuer=issuer)
                        .filter(Q(status=Achievement.Status.SUBMITTED) | put_forward)
                        .select_related("lti_context").order_by("updated_at"))
    report.catalog = list(Achievement.objects.filter(issuer=issuer, approved_at__isnull=False)
                          .exclude(status=Achievement.Status.RETIRED).order_by("name", "version_number"))
    report.disclosures = list(disclosures(issuer=issuer, first=first, last=last)[:200])
    return report


def identifier_conflicts(*, issuer: Issuer) -> list[ConflictRow]:
    """Return SIS ids that point at two learners, and learners whose LMS and SIS ids disagree."""
    holders = set(FeedEvent.objects.filter(issuer=issuer, learner__isnull=False).values_list("learner_id", flat=True))
    found: list[ConflictRow] = []
    # The same number on two platforms (two institutions) is no conflict: group by platform, and
    # look only at this institution's platforms.
    platforms = issuer_platform_ids(issuer)
    shared = (LtiUser.objects.filter(platform_id__in=platforms).exclude(lis_person_sourcedid="")
              .values("platform_id", "lis_person_sourcedid")
              .annotate(n=Count("learner_id", distinct=True)).filter(n__gt=1))
    for row in shared:
        learners = list(Learner.objects.filter(lti_accounts__platform_id=row["platform_id"],
                                               lti_accounts__lis_person_sourcedid=row["lis_person_sourcedid"])
                        .distinct())
        if holders & {learner.pk for learner in learners}:
            found.append(ConflictRow(row["lis_person_sourcedid"], [lr for lr in learners if lr.pk in holders]
                                     or learners, "one LMS student id on two learners"))
    for learner in Learner.objects.filter(pk__in=holders).prefetch_related("identities", "lti_accounts"):
        sis = {i.value for i in identities_for(learner, issuer) if i.kind == SIS}
        lis = {a.lis_person_sourcedid for a in lms_accounts_for(learner, issuer, platforms) if a.lis_person_sourcedid}
        if sis and lis and not sis & lis:
            found.append(ConflictRow(", ".join(sorted(sis | lis)), [learner],
                                     "the SIS id on record differs from the one the LMS sends"))
    return found


def disclosures(*, issuer: Issuer, first: date, last: date):
    """Return what left the institution in the range: one row per delivered event and destination."""
    start, end = _bounds(first, last)
    return (FeedDelivery.objects.filter(endpoint__issuer=issuer, status=FeedDelivery.Status.DELIVERED,
                                        delivered_at__gte=start, delivered_at__lt=end)
            .select_related("endpoint", "event", "learner").order_by("-delivered_at", "-pk"))


def reconciliation_csv(*, issuer: Issuer, first: date, last: date) -> Iterator[str]:
    """Yield the reconciliation CSV: one line per credential event in the range, with its delivery state."""
    start, end = _bounds(first, last)
    return reconciliation_csv_of(FeedEvent.objects.filter(issuer=issuer, occurred_at__gte=start, occurred_at__lt=end))


def reconciliation_csv_of(events) -> Iterator[str]:
    """Yield the reconciliation CSV of the credential events among ``events``, in feed order."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sequence", "event_id", "event_type", "occurred_at", "credential_id", "credential_status",
                     "achievement", "achievement_sis_code", "learner_sis_id", "learner_lms_id", "match_status",
                     "delivered_to", "acknowledged_by_sis", "sis_record_id"])
    yield _take(out)
    events = events.filter(type__in=CREDENTIAL_TYPES).prefetch_related("deliveries__endpoint").order_by("position")
    for event in events.iterator(chunk_size=500):
        data = event.data
        identifiers = (data.get("learner") or {}).get("identifiers", [])
        sis = next((i["value"] for i in identifiers if i.get("type") in ("sisSourcedId", "lisSourcedId")), "")
        lms = next((i["value"] for i in identifiers if i.get("type") == "ltiUserId"), "")
        delivered = sorted(d.endpoint.name for d in event.deliveries.all() if d.status == FeedDelivery.Status.DELIVERED)
        acked = [d for d in event.deliveries.all() if d.acknowledged_at]
        writer.writerow([_cell(v) for v in (
            event.position, event.uuid, event.type, event.occurred_at.isoformat(), data["credential"]["id"],
            data["credential"]["status"], data["achievement"]["name"], data["achievement"].get("sisCode", ""), sis,
            lms, (data.get("learner") or {}).get("matchStatus", ""), "; ".join(delivered),
            "yes" if acked else "no", "; ".join(d.sis_record_id for d in acked if d.sis_record_id))])
        yield _take(out)


def disclosures_csv(*, issuer: Issuer, first: date, last: date) -> Iterator[str]:
    """Yield the disclosure log as CSV: when, to whom, what event, about whom, which identifier types."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["delivered_at", "recipient", "recipient_kind", "event_id", "event_type", "learner",
                     "identifier_types_disclosed"])
    yield _take(out)
    for row in disclosures(issuer=issuer, first=first, last=last).iterator(chunk_size=500):
        writer.writerow([_cell(v) for v in (row.delivered_at.isoformat(), row.endpoint.name, row.endpoint.kind,
                                            row.event.uuid, row.event.type, row.learner.subject_id if row.learner
                                            else "", " ".join(row.disclosed))])
        yield _take(out)


def _take(out: io.StringIO) -> str:
    value = out.getvalue()
    out.seek(0)
    out.truncate()
    return value


def _cell(value: object) -> str:
    """Return a CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


