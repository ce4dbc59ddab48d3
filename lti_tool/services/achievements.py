"""Define achievements from a registrar's definition file (JSON or YAML) or a form.

The file follows the AACRAO alternative-credential proposal form: what the credential is, who
offers it, credit or non-credit, level, hours, requirements, assessment, learning outcomes,
alignments, effective and expiry dates. Keys may be written in snake_case or in the Open Badges
camelCase (``achievementType``, ``humanCode``…).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ..core.data import ACHIEVEMENT_TYPES, ALIGNMENT_TARGET_TYPES, RESULT_TYPES
from ..models import Achievement, AchievementChange, Issuer, LtiContext, LtiDeployment, StoredImage
from .errors import ImageRejectedError, InvalidSpecError, ServiceError
from .images import image_store
from .text import has_control_characters, is_http_url

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_FRAMEWORK_TYPES = {"case": "CFItem", "ctdl": "CTDL", "osmt": "ceasn:Competency", "ceasn": "ceasn:Competency"}

TEXT_FIELDS = {
    "name": 200, "description": 20_000, "criteria_narrative": 20_000, "human_code": 64, "field_of_study": 200,
    "specialization": 200, "version": 32, "level": 100, "requirements": 20_000, "assessment": 20_000,
    "sis_code": 64,
}
KNOWN_KEYS = {
    *TEXT_FIELDS, "criteria", "criteria_url", "image", "achievement_type", "tags", "language", "credits_available",
    "alignments", "alignment", "learning_outcomes", "other_identifiers", "issuing_unit", "credit_type",
    "clock_hours", "effective_date", "expiration_date", "valid_for_days", "re_earnable", "status", "issuer", "ctid",
}
_CTID = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def achievement_define(*, issuer: Issuer, spec: Mapping[str, Any], image: StoredImage | None = None,
                       deployment: LtiDeployment | None = None, lti_context: LtiContext | None = None,
                       defined_by: str = "registrar") -> Achievement:
    """Create an achievement from a definition; raise :class:`InvalidSpecError` listing every problem.

    Badges made inside a course pass the course's ``deployment`` (tenant) and ``lti_context``. A
    catalog definition (no course) with status approved or active counts as approved by ``defined_by``.
    """
    fields = parse_achievement_spec(spec)
    with transaction.atomic():
        achievement = Achievement.objects.create(issuer=issuer, image=image, deployment=deployment,
                                                 lti_context=lti_context, **fields)
        if achievement.issuable and lti_context is None:
            # The definition file is the registrar's own: one defined approved or active is approved.
            Achievement.objects.filter(pk=achievement.pk).update(approved_at=achievement.created_at,
                                                                 approved_by=defined_by)
            achievement.approved_at, achievement.approved_by = achievement.created_at, defined_by
        AchievementChange.objects.create(achievement=achievement, action=AchievementChange.Action.CREATED,
                                         to_status=achievement.status, actor=defined_by, at=achievement.created_at)
        return achievement


def achievement_create_in_course(*, deployment: LtiDeployment, context: LtiContext | None, name: str,
                                 description: str, criteria: str, image_data: bytes | None = None,
                                 image_content_type: str | None = None, created_by: str = "") -> Achievement:
    """Create a badge in an LMS course (the Deep Linking picker); it is issued by the deployment's issuer.

    The badge belongs to the course's deployment (tenant) and course. The image, when given, is checked
    like any badge image (:func:`image_store`); fields and image are checked together, and nothing is
    stored unless both are good.

    Raises:
        ServiceError: the deployment has no issuer yet, or there is no course.
        InvalidSpecError: the fields or the image are not a valid badge (every problem listed).
    """
    if deployment.issuer is None:
        raise ServiceError("an administrator must choose the issuer for this LMS before badges can be created")
    if context is None or context.deployment_id != deployment.pk:
        raise ServiceError("badges are created inside a course; launch the tool from a course")
    problems: list[str] = []
    fields: dict[str, Any] = {}
    try:
        fields = parse_achievement_spec({"name": name, "description": description,
                                         "criteria": {"narrative": criteria}, "status": "active"})
    except InvalidSpecError as error:
        # The form has no criteria URL, so say what it does ask for.
        problems.extend("criteria: say what learners must do to earn it" if problem.startswith("criteria:")
                        else problem for problem in error.problems)
    if fields.get("name") and Achievement.objects.filter(deployment=deployment, lti_context=context,
                                                         name__iexact=fields["name"]).exists():
        problems.append(f"name: this course already has a badge called {fields['name']!r}; choose it instead")
    with transaction.atomic():
        image = None
        if image_data is not None:
            try:
                image = image_store(data=image_data, content_type=image_content_type)
            except ImageRejectedError as error:
                problems.append(f"image: {error}")
        if problems:
            raise InvalidSpecError(problems)  # leaving the block rolls back a stored image
        achievement = Achievement.objects.create(issuer=deployment.issuer, image=image, deployment=deployment,
                                                 lti_context=context, **fields)
        AchievementChange.objects.create(achievement=achievement, action=AchievementChange.Action.CREATED,
                                         to_status=achievement.status, actor=created_by or "instructor",
                                         at=achievement.created_at)
        return achievement


def parse_achievement_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a definition and return model field values."""
    if not isinstance(spec, Mapping):
        raise InvalidSpecError(["the definition must be a mapping of field names to values"])
    data = {_snake(str(key)): value for key, value in spec.items()}
    problems: list[str] = []
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    fields: dict[str, Any] = {}

    criteria = data.get("criteria")
    if isinstance(criteria, Mapping):
        data.setdefault("criteria_narrative", criteria.get("narrative"))
        data.setdefault("criteria_url", criteria.get("url") or criteria.get("id"))
    elif isinstance(criteria, str):
        data.setdefault("criteria_narrative", criteria)

    for name, limit in TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float):
            problems.append(f"{name}: must be text")
            continue
        text = str(value).strip()
        if len(text) > limit:
            problems.append(f"{name}: longer than {limit} characters")
        if has_control_characters(text):
            problems.append(f"{name}: contains control characters (paste it as plain text)")
        fields[name] = text
    for required in ("name", "description"):
        if not fields.get(required):
            problems.append(f"{required}: required")
    if not fields.get("criteria_narrative") and not data.get("criteria_url"):
        problems.append("criteria: give a narrative, a criteria URL, or both")

    if data.get("criteria_url"):
        fields["criteria_url"] = _url(data["criteria_url"], "criteria.url", problems)

    achievement_type = data.get("achievement_type", "Badge")
    if achievement_type not in ACHIEVEMENT_TYPES and not str(achievement_type).startswith("ext:"):
        problems.append(f"achievement_type: {achievement_type!r} is not an Open Badges 3.0 AchievementType")
    fields["achievement_type"] = achievement_type

    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append("tags: must be a list of words")
    else:
        fields["tags"] = [t.strip() for t in tags]

    if data.get("language"):
        if not _LANGUAGE.match(str(data["language"])):
            problems.append(f"language: {data['language']!r} is not a BCP 47 language tag")
        fields["language"] = str(data["language"])

    for name in ("credits_available", "clock_hours"):
        if data.get(name) is not None:
            fields[name] = _decimal(data[name], name, problems)

    credit_type = str(data.get("credit_type", "non-credit")).lower().replace("_", "-").replace(" ", "-")
    if credit_type not in ("credit", "non-credit"):
        problems.append("credit_type: must be 'credit' or 'non-credit'")
    fields["credit_type"] = credit_type

    for name in ("effective_date", "expiration_date"):
        if data.get(name) is not None:
            fields[name] = _date(data[name], name, problems)
    if fields.get("effective_date") and fields.get("expiration_date") and \
            fields["expiration_date"] < fields["effective_date"]:
        problems.append("expiration_date: before effective_date")

    alignments = data.get("alignments", data.get("alignment", []))
    fields["alignments"] = [_alignment(a, f"alignments[{i}]", problems) for i, a in enumerate(_list(alignments))]

    outcomes = []
    for index, outcome in enumerate(_list(data.get("learning_outcomes", []))):
        where = f"learning_outcomes[{index}]"
        if isinstance(outcome, str):
            outcome = {"name": outcome}
        if not isinstance(outcome, Mapping) or not str(outcome.get("name", "")).strip():
            problems.append(f"{where}: needs a name")
            continue
        result_type = outcome.get("result_type", outcome.get("resultType", "Status"))
        if result_type not in RESULT_TYPES:
            problems.append(f"{where}.result_type: {result_type!r} is not an Open Badges ResultType")
        outcomes.append({
            "name": str(outcome["name"]).strip(),
            "result_type": result_type,
            "alignments": [_alignment(a, f"{where}.alignments[{i}]", problems)
                           for i, a in enumerate(_list(outcome.get("alignments", [])))],
        })
    fields["learning_outcomes"] = outcomes

    identifiers = []
    for index, entry in enumerate(_list(data.get("other_identifiers", []))):
        entry = {_snake(str(k)): v for k, v in entry.items()} if isinstance(entry, Mapping) else {}
        if not entry.get("identifier") or not entry.get("identifier_type"):
            problems.append(f"other_identifiers[{index}]: needs identifier and identifier_type")
            continue
        identifiers.append({"identifier": str(entry["identifier"]), "identifier_type": str(entry["identifier_type"])})
    fields["other_identifiers"] = identifiers

    unit = data.get("issuing_unit")
    if unit is not None:
        if not isinstance(unit, Mapping) or not unit.get("name"):
            problems.append("issuing_unit: needs at least a name")
        else:
            fields["issuing_unit"] = {
                "id": _url(unit["id"], "issuing_unit.id", problems) if unit.get("id") else "",
                "name": str(unit["name"]),
                "url": _url(unit["url"], "issuing_unit.url", problems) if unit.get("url") else "",
                "email": str(unit.get("email", "")),
            }
            if not fields["issuing_unit"]["id"]:
                fields["issuing_unit"]["id"] = fields["issuing_unit"]["url"]

    if data.get("valid_for_days") is not None:
        try:
            days = int(data["valid_for_days"])
            if days <= 0:
                raise ValueError
            fields["valid_for_days"] = days
        except (TypeError, ValueError):
            problems.append("valid_for_days: must be a positive whole number")
    if "re_earnable" in data:
        if not isinstance(data["re_earnable"], bool):
            problems.append("re_earnable: must be true or false")
        fields["re_earnable"] = bool(data["re_earnable"])
    if data.get("ctid"):
        if not isinstance(data["ctid"], str) or not _CTID.match(data["ctid"]):
            problems.append("ctid: a Credential Engine CTID looks like ce-1b0e8c5e-7bd6-4a39-a1e9-6f0d5b6c2a11")
        else:
            fields["ce_ctid"] = data["ctid"]
    status = data.get("status", Achievement.Status.ACTIVE)
    if status not in Achievement.Status.values:
        problems.append(f"status: must be one of {', '.join(Achievement.Status.values)}")
    fields["status"] = status

    if problems:
        raise InvalidSpecError(problems)
    return fields


def _alignment(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        problems.append(f"{where}: must be a mapping with target_name and target_url")
        return {}
    data = {_snake(str(k)): v for k, v in value.items()}
    name, url = data.get("target_name"), data.get("target_url")
    if not name or not url:
        problems.append(f"{where}: target_name and target_url are required")
        return {}
    framework = str(data.get("target_framework", "") or "")
    target_type = data.get("target_type") or _FRAMEWORK_TYPES.get(framework.lower())
    if target_type and target_type not in ALIGNMENT_TARGET_TYPES and not str(target_type).startswith("ext:"):
        problems.append(f"{where}.target_type: {target_type!r} is not an Open Badges AlignmentTargetType")
    out = {"target_name": str(name), "target_url": _url(url, f"{where}.target_url", problems)}
    for key in ("target_code", "target_description", "target_framework"):
        if data.get(key):
            out[key] = str(data[key])
    if target_type:
        out["target_type"] = str(target_type)
    return out


def _url(value: Any, where: str, problems: list[str]) -> str:
    text = str(value or "").strip()
    if not is_http_url(text):
        problems.append(f"{where}: {text!r} is not an http(s) URL")
    return text


def _decimal(value: Any, where: str, problems: list[str]) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{where}: must be a number")
        return None
    if number < 0 or number > 10_000 or not number.is_finite():
        problems.append(f"{where}: must be between 0 and 10000")
        return None
    return number.quantize(Decimal("0.01"))


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_")
