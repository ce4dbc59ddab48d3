"""The instructor's criteria editor: form rows to the criteria JSON and back.

One group (all of / any of / at least N of) over up to ``MAX_ROWS`` requirements covers what an
instructor sets up in a course; deeper trees are edited as text (YAML or JSON) in the same form.
The JSON is checked by :func:`lti_tool.core.criteria.rules.parse_criteria` when it is saved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import yaml
from django.utils import timezone

from .core.criteria.rules import Group, parse_criteria

MAX_ROWS = 12
BLANK_ROWS = 3
KINDS = {"score": "Score on a gradebook item", "course_grade": "Course grade", "course_completed": "Course completed",
         "activity": "Activity completed", "evidence": "Evidence approved by an assessor",
         "manual": "Signed off by staff", "badge": "Another badge earned"}
ROLES = {"assessor": ["assessor", "instructor"], "instructor": ["instructor"]}


@dataclass
class Row:
    """One requirement as the form shows it."""

    id: str = ""
    kind: str = ""
    item: str = ""
    threshold: str = ""
    unit: str = "percent"
    text: str = ""
    outcome: str = "completed"
    badge: str = ""
    roles: str = "assessor"
    by: str = ""


@dataclass
class Form:
    """The editor's state: how rows combine, the rows, the policy, or the whole tree as text."""

    combine: str = "all"
    count: str = ""
    rows: list[Row] = field(default_factory=list)
    revoke_on_regression: bool = False
    retroactive: bool = True
    advanced: str = ""
    nested: bool = False  # the saved tree is deeper than the rows can show


def form_from_rules(rules: Mapping[str, Any] | None, *, revoke_on_regression: bool, retroactive: bool) -> Form:
    """Return the editor for saved criteria (blank rows added for new requirements)."""
    form = Form(revoke_on_regression=revoke_on_regression, retroactive=retroactive)
    if rules:
        tree = parse_criteria(rules)
        form.advanced = yaml.safe_dump(rules, sort_keys=False, allow_unicode=True)
        flat = isinstance(tree, Group) and all(not isinstance(child, Group) for child in tree.children)
        if flat:
            form.combine, form.count = tree.mode, str(tree.count or "")
            form.rows = [_row(item) for item in rules.get("requirements", [rules]) if isinstance(item, Mapping)] \
                if rules.get("type") in ("all", "any", "at_least") else [_row(rules)]
        else:
            form.nested = True
    if not form.nested:
        form.rows += [Row() for _ in range(min(BLANK_ROWS, MAX_ROWS - len(form.rows)))]
    return form


def rules_from_form(data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """Return the criteria JSON the posted form describes, or the problems found (by row)."""
    advanced = str(data.get("advanced", "")).strip()
    if data.get("mode") == "text":
        if not advanced:
            return None, ["write the criteria, or use the rows above"]
        try:
            rules = yaml.safe_load(advanced)
        except yaml.YAMLError as error:
            return None, [f"the criteria text is not YAML or JSON: {str(error).splitlines()[0]}"]
        if not isinstance(rules, dict):
            return None, ["the criteria text must describe one group or requirement"]
        return json.loads(json.dumps(rules, default=str)), []
    problems: list[str] = []
    requirements = []
    used: set[str] = set()
    for index in range(MAX_ROWS):
        kind = str(data.get(f"kind_{index}", ""))
        if not kind:
            continue
        if kind not in KINDS:
            problems.append(f"row {index + 1}: unknown kind of requirement")
            continue
        value = {name: str(data.get(f"{name}_{index}", "")).strip() for name in
                 ("id", "item", "threshold", "unit", "text", "outcome", "badge", "roles", "by")}
        requirement, row_problems = _requirement(kind, value, index, used)
        problems += row_problems
        if requirement is not None:
            requirements.append(requirement)
    if not requirements and not problems:
        problems.append("add at least one requirement")
    combine = str(data.get("combine", "all"))
    if combine not in ("all", "any", "at_least"):
        problems.append("choose how the requirements combine")
    group: dict[str, Any] = {"type": combine, "id": "root", "requirements": requirements}
    if combine == "at_least":
        count = str(data.get("count", ""))
        if not count.isdigit() or not 1 <= int(count) <= max(len(requirements), 1):
            problems.append(f"“at least” needs a number from 1 to {len(requirements)}")
        else:
            group["count"] = int(count)
    return (None, problems) if problems else (group, [])


def _requirement(kind: str, value: dict[str, str], index: int, used: set[str]) -> tuple[dict | None, list[str]]:
    where = f"row {index + 1}"
    problems = []
    node_id = value["id"] if re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value["id"] or "") else ""
    if not node_id or node_id in used:
        node_id = f"{kind}-{index + 1}"
    used.add(node_id)
    requirement: dict[str, Any] = {"type": kind, "id": node_id}
    if kind in ("score", "course_grade"):
        if kind == "score":
            if not value["item"]:
                problems.append(f"{where}: choose the gradebook item")
            requirement["item"] = value["item"]
        try:
            requirement["threshold"] = float(value["threshold"])
        except ValueError:
            problems.append(f"{where}: the minimum must be a number")
        requirement["unit"] = "points" if value["unit"] == "points" else "percent"
    elif kind == "activity":
        if not value["text"]:
            problems.append(f"{where}: name the activity (its id in the LMS, e.g. moodle:cm:42)")
        requirement["activity"] = value["text"]
        requirement["outcome"] = value["outcome"] if value["outcome"] in ("completed", "passed", "failed") \
            else "completed"
    elif kind == "evidence":
        if not value["text"]:
            problems.append(f"{where}: say what evidence learners should send")
        requirement["prompt"] = value["text"]
    elif kind == "manual":
        requirement["roles"] = ROLES.get(value["roles"], ROLES["assessor"])
    elif kind == "badge":
        if not value["badge"]:
            problems.append(f"{where}: choose the badge")
        requirement["achievement"] = value["badge"]
    if value["by"]:
        try:
            day = date.fromisoformat(value["by"])
        except ValueError:
            problems.append(f"{where}: the date must be a date")
        else:
            end = datetime.combine(day, time(23, 59, 59), tzinfo=timezone.get_current_timezone())
            requirement["window"] = {"not_after": end.isoformat()}
    return (None if problems else requirement), problems


def _row(data: Mapping[str, Any]) -> Row:
    kind = str(data.get("type", ""))
    row = Row(id=str(data.get("id", "")), kind=kind if kind in KINDS else "")
    if kind in ("score", "course_grade"):
        row.item = str(data.get("item", ""))
        threshold = data.get("threshold", "")
        row.threshold = f"{threshold:g}" if isinstance(threshold, int | float) else str(threshold)
        row.unit = "points" if data.get("unit") == "points" else "percent"
    elif kind == "activity":
        row.text, row.outcome = str(data.get("activity", "")), str(data.get("outcome", "completed"))
    elif kind == "evidence":
        row.text = str(data.get("prompt", ""))
    elif kind == "manual":
        row.roles = "instructor" if list(data.get("roles", [])) == ["instructor"] else "assessor"
    elif kind == "badge":
        row.badge = str(data.get("achievement", ""))
    window = data.get("window") or {}
    if isinstance(window, Mapping) and window.get("not_after"):
        row.by = str(window["not_after"])[:10]
    return row


def form_from_post(data: Mapping[str, Any]) -> Form:
    """Return the editor as it was sent, so a refused form comes back with everything typed in it."""
    form = Form(combine=str(data.get("combine", "all")), count=str(data.get("count", "")),
                revoke_on_regression=data.get("revoke_on_regression") == "on",
                retroactive=data.get("retroactive") == "on", advanced=str(data.get("advanced", "")))
    for index in range(MAX_ROWS):
        if f"kind_{index}" not in data:
            break
        form.rows.append(Row(**{name: str(data.get(f"{name}_{index}", "")) for name in
                                ("id", "kind", "item", "threshold", "unit", "text", "outcome", "badge", "roles",
                                 "by")}))
    return form
