"""Reads on the re-evaluation hot path, in plain SQL built from the models' own table and column names.

Re-evaluating one learner after one fact is the tool's most frequent piece of work (target: under
5 ms, ``benchmarks/course_service.py``). Through the ORM its three reads spent more time compiling
SQL than the database spent answering, so they are written once here, portable to SQLite and
PostgreSQL, and the course's badge list is kept per process, checked against the database's own
(id, updated_at, status) of each badge on every call so a changed badge is never missed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from .core.criteria import facts as f
from .models import Achievement, Award, CourseFact

TOOL_OWN_KINDS = frozenset({f.EVIDENCE, f.GRANT, f.BADGE})


def reported_by_owner(kind: str, source: str) -> bool:
    """Whether a stored fact counts: evidence reviews, sign-offs and badges held count from the tool only."""
    return kind not in TOOL_OWN_KINDS or source.startswith("accolade:")


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: Any, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _sql() -> dict[str, str]:
    ach, fact, award = Achievement, CourseFact, Award
    a = {name: _column(ach, name) for name in ("id", "uuid", "lineage", "updated_at", "status", "deployment",
                                                "lti_context", "criteria_rules")}
    c = {name: _column(fact, name) for name in ("kind", "key", "value", "observed_at", "source", "context", "learner")}
    w = {name: _column(award, name) for name in ("id", "achievement", "learner", "valid_from", "valid_until",
                                                  "is_current", "revoked_at", "revoked_by", "source", "issued_at")}
    # Only quoted table and column names from the models go into the text; every value is a parameter.
    return {
        "badge_versions": (f"SELECT {a['id']}, {a['updated_at']}, {a['status']} FROM {_table(ach)} "  # noqa: S608
                           f"WHERE {a['deployment']} = %s AND {a['lti_context']} = %s "
                           f"AND {a['criteria_rules']} IS NOT NULL"),
        "facts": (f"SELECT {c['kind']}, {c['key']}, {c['value']}, {c['observed_at']}, {c['source']} "  # noqa: S608
                  f"FROM {_table(fact)} WHERE {c['context']} = %s AND {c['learner']} = %s"),
        # One row per award and version of its credential (v.uuid): a badge held counts for every version.
        "awards": (f"SELECT w.{w['achievement']}, b.{a['uuid']}, b.{a['lineage']}, w.{w['valid_from']}, "  # noqa: S608
                   f"w.{w['valid_until']}, "
                   f"w.{w['is_current']}, w.{w['revoked_at']}, w.{w['revoked_by']}, w.{w['source']}, v.{a['uuid']} "
                   f"FROM {_table(award)} w JOIN {_table(ach)} b ON b.{a['id']} = w.{w['achievement']} "
                   f"JOIN {_table(ach)} v ON v.{a['lineage']} = b.{a['lineage']} "
                   f"WHERE w.{w['learner']} = %s AND b.{a['deployment']} = %s "
                   f"ORDER BY w.{w['issued_at']} DESC, w.{w['id']} DESC"),
    }


_STATEMENTS: dict[str, dict[str, str]] = {}


def _statement(name: str) -> str:
    vendor = connection.vendor
    if vendor not in _STATEMENTS:
        _STATEMENTS[vendor] = _sql()
    return _STATEMENTS[vendor][name]


def _when(value: Any) -> datetime | None:
    """Return an aware datetime from what the driver gave (SQLite: naive UTC or text; PostgreSQL: aware)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _uuid(value: Any) -> str:
    text = str(value)
    if len(text) == 32:  # SQLite keeps UUIDs as 32 hex digits
        text = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


# -- the course's rule badges, kept per process and checked on every call -------------------------

_COURSES: dict[int, tuple[tuple, Any]] = {}
_COURSES_LOCK = threading.Lock()


def badge_versions(*, deployment_id: int, context_id: int) -> tuple:
    """Return (id, updated_at, status) of each badge of the course that has rules: what a cached list must match."""
    with connection.cursor() as cursor:
        cursor.execute(_statement("badge_versions"), [deployment_id, context_id])
        return tuple(sorted((row[0], _when(row[1]), row[2]) for row in cursor.fetchall()))


def cached_course_badges(context_id: int, versions: tuple) -> Any | None:
    """Return what was stored for the course at exactly these badge versions, else None."""
    held = _COURSES.get(context_id)
    return held[1] if held is not None and held[0] == versions else None


def cache_course_badges(context_id: int, versions: tuple, value: Any) -> None:
    with _COURSES_LOCK:
        if len(_COURSES) > 5000:
            _COURSES.clear()
        _COURSES[context_id] = (versions, value)


# -- one learner's facts and awards ---------------------------------------------------------------

@dataclass(frozen=True)
class AwardRow:
    """The fields of an award that the rules weigh (its standing and whether it counts as held)."""

    achievement_id: int
    achievement_uuid: str
    lineage: str
    valid_from: datetime
    valid_until: datetime | None
    is_current: bool
    revoked_at: datetime | None
    revoked_by: str
    source: str

    def held(self, now: datetime) -> bool:
        return self.is_current and self.revoked_at is None and (self.valid_until is None or self.valid_until > now)


def learner_state_load(*, context_id: int, deployment_id: int, learner_id: int, learner_uuid: str,
                       now: datetime) -> tuple[f.LearnerFacts, dict[str, AwardRow]]:
    """Return the learner's facts in the course (badges held included) and their latest award per lineage.

    The latest award is keyed by the credential's lineage (every version of it), so a learner who
    holds version 1 is not awarded version 2 by the rules. Same meaning as
    :func:`lti_tool.selectors.learners_facts_load` for one learner, in two queries.
    """
    records = []
    with connection.cursor() as cursor:
        cursor.execute(_statement("facts"), [context_id, learner_id])
        for kind, key, value, observed_at, source in cursor.fetchall():
            if not reported_by_owner(kind, source):
                continue
            records.append(f.FactRecord(kind, key, _json(value), _when(observed_at), source))
        cursor.execute(_statement("awards"), [learner_id, deployment_id])
        rows = [(AwardRow(row[0], _uuid(row[1]), _uuid(row[2]), _when(row[3]), _when(row[4]), bool(row[5]),
                          _when(row[6]), row[7], row[8]), _uuid(row[9])) for row in cursor.fetchall()]
    latest: dict[str, AwardRow] = {}
    for row, version in rows:  # newest first
        latest.setdefault(row.lineage, row)
        if row.held(now):  # "another badge earned" names one version; any version of it counts
            records.append(f.FactRecord(f.BADGE, version, {"at": row.valid_from}, row.valid_from, "accolade"))
    return f.learner_facts(learner_uuid, records), latest
