"""Issue one achievement to many learners from a CSV file, all or nothing.

Columns (header row required, case-insensitive): ``email`` and/or ``student_id``, optional ``name``,
``evidence_url``, ``evidence_narrative``, ``narrative``. Every row is checked before anything is
issued; problems are reported by row number and nothing is written unless every row is good.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Achievement, Award, LearnerIdentity
from .awards import award_issue
from .errors import ServiceError
from .learners import learner_find_or_create

MAX_ROWS = 100_000
MAX_FIELD = 20_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KNOWN_COLUMNS = {"email", "student_id", "name", "evidence_url", "evidence_narrative", "narrative"}


@dataclass(frozen=True)
class BulkRow:
    line: int
    email: str
    student_id: str
    name: str
    evidence: tuple[dict[str, str], ...]
    narrative: str


@dataclass
class BulkReport:
    rows: list[BulkRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    issued: list[Award] = field(default_factory=list)


def bulk_rows_parse(*, text: str, achievement: Achievement) -> BulkReport:
    """Parse and check a CSV; return the rows and, by row number, every problem found."""
    report = BulkReport()
    if "\x00" in text:
        report.problems.append("file is not a text CSV (it contains NUL bytes)")
        return report
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        report.problems.append("file is empty or has no header row")
        return report
    reader.fieldnames = header
    unknown = sorted(set(header) - KNOWN_COLUMNS)
    if unknown:
        report.problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; expected {sorted(KNOWN_COLUMNS)}")
    if "email" not in header and "student_id" not in header:
        report.problems.append("line 1: needs an 'email' or a 'student_id' column")
        return report
    seen: dict[str, int] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                report.problems.append(f"more than {MAX_ROWS} rows; split the file")
                break
            if None in raw:
                report.problems.append(f"line {number}: more fields than columns")
                continue
            values = {key: (value or "").strip() for key, value in raw.items()}
            if not any(values.values()):
                continue
            problems = _row_problems(number, values, seen, achievement)
            report.problems.extend(problems)
            if problems:
                continue
            evidence = {}
            if values.get("evidence_url"):
                evidence["id"] = values["evidence_url"]
            if values.get("evidence_narrative"):
                evidence["narrative"] = values["evidence_narrative"]
            report.rows.append(BulkRow(line=number, email=values.get("email", "").lower(),
                                       student_id=values.get("student_id", ""), name=values.get("name", ""),
                                       evidence=(evidence,) if evidence else (), narrative=values.get("narrative", "")))
    except csv.Error as error:
        report.problems.append(f"line {reader.line_num}: malformed CSV ({error})")
    if not report.rows and not report.problems:
        report.problems.append("file has no data rows")
    return report


def award_bulk_issue(*, achievement: Achievement, report: BulkReport, issued_by: str,
                     on_progress: Callable[[int], None] | None = None) -> BulkReport:
    """Issue to every row of a checked report in one transaction.

    Raises:
        ServiceError: the report has problems (nothing is issued), or a row fails while issuing
            (everything issued so far in this run is rolled back).
    """
    if report.problems:
        raise ServiceError(f"{len(report.problems)} problem(s) in the file; nothing was issued")
    with transaction.atomic():
        for row in report.rows:
            try:
                learner = learner_find_or_create(email=row.email, sis_id=row.student_id, name=row.name,
                                                 source="csv")
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
    url = values.get("evidence_url", "")
    if url and not url.startswith(("https://", "http://")):
        problems.append(f"line {number}: evidence_url {url!r} is not an http(s) URL")
    for key in (f"email:{email}" if email else None, f"sis:{student_id}" if student_id else None):
        if key is None:
            continue
        if key in seen:
            problems.append(f"line {number}: same learner as line {seen[key]}")
        seen.setdefault(key, number)
    if not problems and email and student_id and _two_learners(email, student_id):
        problems.append(f"line {number}: {email} and {student_id} belong to two different learners")
    if not problems and not achievement.re_earnable:
        holder = _current_holder(email, student_id, achievement)
        if holder:
            problems.append(f"line {number}: {email or student_id} already holds {achievement.name}")
    return problems


def _two_learners(email: str, student_id: str) -> bool:
    by_email = LearnerIdentity.objects.filter(kind="emailAddress", value=email).values_list("learner_id", flat=True)
    by_sis = LearnerIdentity.objects.filter(kind="sisSourcedId", value=student_id).values_list("learner_id", flat=True)
    email_ids, sis_ids = set(by_email), set(by_sis)
    return bool(email_ids and sis_ids and email_ids != sis_ids)


def _current_holder(email: str, student_id: str, achievement: Achievement) -> bool:
    identities = LearnerIdentity.objects.none()
    if email:
        identities = identities | LearnerIdentity.objects.filter(kind="emailAddress", value=email)
    if student_id:
        identities = identities | LearnerIdentity.objects.filter(kind="sisSourcedId", value=student_id)
    learner_ids = identities.values_list("learner_id", flat=True)
    return (Award.objects.filter(achievement=achievement, learner_id__in=learner_ids, is_current=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())).exists())
