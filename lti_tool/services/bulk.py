"""Issue one achievement to many learners from a CSV file, all or nothing.

Columns (header row required, case-insensitive): ``email`` and/or ``student_id``, optional ``name``,
``evidence_url``, ``evidence_narrative``, ``narrative``. Every row is checked before anything is
issued; problems are reported by row number and nothing is written unless every row is good.

In a course (:func:`course_bulk_rows_parse`) rows name members of that course only, by ``email``,
``student_id`` (or ``sis_id``, as the roster export calls it) or ``user_id`` (the LMS's user id), and
the roster export's other columns are accepted and ignored, so an edited export can come back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Achievement, Award, Learner, LearnerIdentity, LtiContext, LtiMembership
from .awards import award_issue
from .errors import ServiceError
from .feed_events import feed_events_at_end
from .learners import SIS, learner_find_or_create, sis_scopes

MAX_ROWS = 100_000
MAX_FIELD = 20_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KNOWN_COLUMNS = {"email", "student_id", "name", "evidence_url", "evidence_narrative", "narrative"}
COURSE_IDS = ("user_id", "email", "student_id", "sis_id")
ROSTER_EXPORT_COLUMNS = {"earned_on", "credential", "progress_done", "progress_needed"}


@dataclass(frozen=True)
class BulkRow:
    line: int
    email: str
    student_id: str
    name: str
    evidence: tuple[dict[str, str], ...]
    narrative: str
    learner_uuid: str = ""


@dataclass
class BulkReport:
    rows: list[BulkRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    issued: list[Award] = field(default_factory=list)


def bulk_rows_parse(*, text: str, achievement: Achievement) -> BulkReport:
    """Parse and check a CSV; return the rows and, by row number, every problem found."""
    report = BulkReport()
    seen: dict[str, int] = {}
    for number, values in _csv_rows(text, report, known=KNOWN_COLUMNS, ids=("email", "student_id")):
        problems = _row_problems(number, values, seen, achievement)
        report.problems.extend(problems)
        if not problems:
            report.rows.append(BulkRow(line=number, email=values.get("email", "").lower(),
                                       student_id=values.get("student_id", ""), name=values.get("name", ""),
                                       evidence=_row_evidence(values), narrative=values.get("narrative", "")))
    if not report.rows and not report.problems:
        report.problems.append("file has no data rows")
    return report


def course_bulk_rows_parse(*, text: str, achievement: Achievement, context: LtiContext,
                           max_rows: int = MAX_ROWS) -> BulkReport:
    """Parse and check a CSV against the course's learners; every row must name exactly one of them."""
    report = BulkReport()
    members = _CourseMembers(context)
    holders = set(Award.objects.filter(achievement=achievement, is_current=True)
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
                  .values_list("learner__uuid", flat=True)) if not achievement.re_earnable else set()
    seen: dict[str, int] = {}
    known = KNOWN_COLUMNS | set(COURSE_IDS) | ROSTER_EXPORT_COLUMNS
    for number, values in _csv_rows(text, report, known=known, ids=COURSE_IDS, max_rows=max_rows):
        if values.get("sis_id") and not values.get("student_id"):
            values["student_id"] = values["sis_id"]
        problems = [f"line {number}: {key} is longer than {MAX_FIELD} characters"
                    for key, value in values.items() if len(value) > MAX_FIELD]
        problems += _evidence_problems(number, values)
        learner, problem = members.find(values)
        if problem:
            problems.append(f"line {number}: {problem}")
        elif learner is not None:
            if str(learner.uuid) in seen:
                problems.append(f"line {number}: same learner as line {seen[str(learner.uuid)]}")
            seen.setdefault(str(learner.uuid), number)
            if learner.uuid in holders:
                problems.append(f"line {number}: {learner} already holds {achievement.name}")
        report.problems.extend(problems)
        if not problems and learner is not None:
            report.rows.append(BulkRow(line=number, email=values.get("email", "").lower(),
                                       student_id=values.get("student_id", ""), name=str(learner),
                                       evidence=_row_evidence(values), narrative=values.get("narrative", ""),
                                       learner_uuid=str(learner.uuid)))
    if not report.rows and not report.problems:
        report.problems.append("file has no data rows")
    return report


def _csv_rows(text: str, report: BulkReport, *, known: set[str], ids: tuple[str, ...],
              max_rows: int = MAX_ROWS) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, stripped values) of each non-empty row; put file-level problems in ``report``."""
    if "\x00" in text:
        report.problems.append("file is not a text CSV (it contains NUL bytes)")
        return
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        report.problems.append("file is empty or has no header row")
        return
    reader.fieldnames = header
    unknown = sorted(h for h in set(header) - known if not h.startswith("requirement:"))
    if unknown:
        report.problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; expected {sorted(known)}")
    if not set(ids) & set(header):
        report.problems.append(f"line 1: needs an {' or '.join(repr(i) for i in ids)} column")
        return
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > max_rows:
                report.problems.append(f"more than {max_rows} rows; split the file")
                break
            if None in raw:
                report.problems.append(f"line {number}: more fields than columns")
                continue
            values = {key: (value or "").strip() for key, value in raw.items()}
            if any(values.values()):
                yield number, values
    except csv.Error as error:
        report.problems.append(f"line {reader.line_num}: malformed CSV ({error})")


def _row_evidence(values: dict[str, str]) -> tuple[dict[str, str], ...]:
    evidence = {}
    if values.get("evidence_url"):
        evidence["id"] = values["evidence_url"]
    if values.get("evidence_narrative"):
        evidence["narrative"] = values["evidence_narrative"]
    return (evidence,) if evidence else ()


def _evidence_problems(number: int, values: dict[str, str]) -> list[str]:
    url = values.get("evidence_url", "")
    if url and not url.startswith(("https://", "http://")):
        return [f"line {number}: evidence_url {url!r} is not an http(s) URL"]
    return []


class _CourseMembers:
    """The course's active learners, looked up by LMS user id, email or student id."""

    def __init__(self, context: LtiContext) -> None:
        self.by: dict[str, dict[str, set]] = {"user_id": {}, "email": {}, "student_id": {}}
        scopes = sis_scopes(context.deployment.issuer)  # this institution's student ids only
        memberships = (LtiMembership.objects.filter(context=context, status="active")
                       .select_related("user__learner").prefetch_related("user__learner__identities"))
        for membership in memberships:
            if "learner" not in membership.roles:
                continue
            user, learner = membership.user, membership.user.learner
            keys = {"user_id": {user.sub}, "email": {user.email.lower()} if user.email else set(),
                    "student_id": {user.lis_person_sourcedid} if user.lis_person_sourcedid else set()}
            for identity in learner.identities.all():
                if identity.kind == "emailAddress":
                    keys["email"].add(identity.value.lower())
                elif identity.kind == SIS and identity.scope in scopes:
                    keys["student_id"].add(identity.value)
            for column, values in keys.items():
                for value in values:
                    self.by[column].setdefault(value, set()).add(learner)

    def find(self, values: dict[str, str]) -> tuple[Learner | None, str]:
        """Return the one learner all given identifiers agree on, or a problem in words."""
        found: set | None = None
        named = []
        for column in ("user_id", "email", "student_id"):
            value = values.get(column, "")
            if not value:
                continue
            value = value.lower() if column == "email" else value
            named.append(f"{column} {value}")
            matches = self.by[column].get(value, set())
            if not matches:
                return None, f"no learner of this course has {column} {value!r}"
            found = matches if found is None else found & matches
        if found is None:
            return None, "needs a user_id, email or student_id"
        if len(found) != 1:
            return None, f"{' and '.join(named)} do not name one learner of this course"
        return next(iter(found)), ""


def award_bulk_issue(*, achievement: Achievement, report: BulkReport, issued_by: str,
                     on_progress: Callable[[int], None] | None = None) -> BulkReport:
    """Issue to every row of a checked report in one transaction.

    Raises:
        ServiceError: the report has problems (nothing is issued), or a row fails while issuing
            (everything issued so far in this run is rolled back).
    """
    if report.problems:
        raise ServiceError(f"{len(report.problems)} problem(s) in the file; nothing was issued")
    with transaction.atomic(), feed_events_at_end():  # the feed counter is locked only at the very end
        for row in report.rows:
            try:
                if row.learner_uuid:
                    learner = Learner.objects.get(uuid=row.learner_uuid)
                else:
                    learner = learner_find_or_create(email=row.email, sis_id=row.student_id, name=row.name,
                                                     issuer=achievement.issuer, source="csv")
                award = award_issue(achievement=achievement, learner=learner, issued_by=issued_by,
                                    source="bulk-csv", evidence=row.evidence, narrative=row.narrative)
            except ServiceError as error:
                raise ServiceError(f"line {row.line}: {error}; nothing was issued") from error
            report.issued.append(award)
            if on_progress:
                on_progress(1)
    return report


def _row_problems(number: int, values: dict[str, str], seen: dict[str, int], achievement: Achievement) -> list[str]:
    problems = []
    email, student_id = values.get("email", "").lower(), values.get("student_id", "")
    if not email and not student_id:
        problems.append(f"line {number}: needs an email or a student_id")
    if email and not _EMAIL.match(email):
        problems.append(f"line {number}: {email!r} is not an email address")
    for key, value in values.items():
        if len(value) > MAX_FIELD:
            problems.append(f"line {number}: {key} is longer than {MAX_FIELD} characters")
    problems += _evidence_problems(number, values)
    for key in (f"email:{email}" if email else None, f"sis:{student_id}" if student_id else None):
        if key is None:
            continue
        if key in seen:
            problems.append(f"line {number}: same learner as line {seen[key]}")
        seen.setdefault(key, number)
    if not problems and email and student_id and _two_learners(email, student_id, achievement):
        problems.append(f"line {number}: {email} and {student_id} belong to two different learners")
    if not problems and not achievement.re_earnable:
        holder = _current_holder(email, student_id, achievement)
        if holder:
            problems.append(f"line {number}: {email or student_id} already holds {achievement.name}")
    return problems


def _two_learners(email: str, student_id: str, achievement: Achievement) -> bool:
    by_email = LearnerIdentity.objects.filter(kind="emailAddress", value=email).values_list("learner_id", flat=True)
    by_sis = LearnerIdentity.objects.filter(kind=SIS, scope__in=sis_scopes(achievement.issuer),
                                            value=student_id).values_list("learner_id", flat=True)
    email_ids, sis_ids = set(by_email), set(by_sis)
    return bool(email_ids and sis_ids and email_ids != sis_ids)


def _current_holder(email: str, student_id: str, achievement: Achievement) -> bool:
    identities = LearnerIdentity.objects.none()
    if email:
        identities = identities | LearnerIdentity.objects.filter(kind="emailAddress", value=email)
    if student_id:
        identities = identities | LearnerIdentity.objects.filter(kind=SIS, scope__in=sis_scopes(achievement.issuer),
                                                                 value=student_id)
    learner_ids = identities.values_list("learner_id", flat=True)
    return (Award.objects.filter(achievement=achievement, learner_id__in=learner_ids, is_current=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())).exists())
