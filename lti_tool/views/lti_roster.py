"""The instructor's roster actions on a badge link: award, revoke, sign off, bulk award; CSV export.

Only members of the launch's own course can be acted on; award and revoke need an instructor (or
admin), a sign-off needs one of the roles the requirement names.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..lti import claims as c
from ..selectors import course_member_learner, course_roster, learner_current_award
from ..services.awards import award_issue, award_revoke
from ..services.bulk import course_bulk_rows_parse
from ..services.bulk_jobs import COURSE_MAX_ROWS, bulk_award_queue
from ..services.errors import ServiceError
from ..services.evidence import grant_record
from .lti import error_page
from .lti_pages import PLACERS, STAFF, PageRefused, _open_launch, badge_context, link_badge

DONE = {"award": "awarded", "revoke": "revoked", "grant": "signed"}
BULK_MAX_BYTES = 2 * 1024 * 1024


@csrf_exempt  # the launch token in the form is the proof, as on the other LTI pages
@xframe_options_exempt
@require_http_methods(["POST"])
def roster_action(request: HttpRequest) -> HttpResponse:
    """Award, revoke (with a reason) or sign off a requirement for one learner of the course."""
    try:
        launch = _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    token, action = request.POST.get("lt", ""), request.POST.get("action", "")
    roles = set(launch.roles)
    achievement = link_badge(launch)
    if achievement is None or launch.context is None or not STAFF & roles:
        return error_page(request, "only the course's staff act on this badge's roster", 403)
    learner = course_member_learner(context=launch.context, learner_uuid=request.POST.get("learner", ""))
    if learner is None or action not in DONE:
        return error_page(request, "that learner is not a member of this course", 404)
    actor = launch.user.name or launch.user.sub
    try:
        if action == "grant":
            grant_record(achievement=achievement, requirement_id=request.POST.get("requirement", ""),
                         context=launch.context, learner=learner, roles=roles, by=actor)
        elif not PLACERS & roles:
            raise ServiceError("only the course's instructors award and revoke badges")
        elif action == "award":
            award_issue(achievement=achievement, learner=learner, issued_by=actor, source="instructor",
                        narrative=request.POST.get("narrative", "").strip()[:2000])
        else:
            award = learner_current_award(learner=learner, achievement=achievement)
            if award is None:
                raise ServiceError("this learner holds no current award of this badge")
            award_revoke(award=award, reason=request.POST.get("reason", ""), revoked_by=actor)
    except ServiceError as error:
        return render(request, "lti_tool/lti/badge.html", badge_context(launch, token, error=str(error)), status=400)
    return redirect(f"/lti/badge?{urlencode({'lt': token, 'done': DONE[action]})}", permanent=False)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["POST"])
def roster_bulk(request: HttpRequest) -> HttpResponse:
    """Check a CSV of awards for the link's badge and queue it; show every problem by line, queue nothing."""
    try:
        launch = _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)
        upload = request.FILES.get("csv")
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    except RequestDataTooBig:
        return error_page(request, f"the file is larger than {BULK_MAX_BYTES // (1024 * 1024)} MB", 413)
    token = request.POST.get("lt", "")
    achievement = link_badge(launch)
    if achievement is None or launch.context is None or not PLACERS & set(launch.roles):
        return error_page(request, "only the course's instructors award this badge", 403)

    def refuse(problems: list[str]) -> HttpResponse:
        context = badge_context(launch, token, error="Nothing was awarded: the file has problems, listed under "
                                                     "“Award many at once” below.")
        context["bulk_problems"] = problems[:200]
        context["bulk_more"] = max(0, len(problems) - 200)
        return render(request, "lti_tool/lti/badge.html", context, status=400)

    if upload is None:
        return refuse(["choose a CSV file"])
    if upload.size > BULK_MAX_BYTES:
        return refuse([f"the file is larger than {BULK_MAX_BYTES // (1024 * 1024)} MB"])
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return refuse(["the file is not UTF-8 text; save it from your spreadsheet as “CSV UTF-8”"])
    report = course_bulk_rows_parse(text=text, achievement=achievement, context=launch.context,
                                    max_rows=COURSE_MAX_ROWS)
    if report.problems:
        return refuse(report.problems)
    bulk_award_queue(achievement=achievement, context=launch.context, report=report,
                     requested_by=launch.user.name or launch.user.sub, file_name=upload.name or "")
    return redirect(f"/lti/badge?{urlencode({'lt': token, 'done': 'bulk'})}", permanent=False)


@xframe_options_exempt
@require_http_methods(["GET"])
def roster_csv(request: HttpRequest) -> HttpResponse:
    """Export the course roster with each learner's award and progress for the link's badge."""
    try:
        launch = _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    achievement = link_badge(launch)
    if achievement is None or launch.context is None or not STAFF & set(launch.roles):
        return error_page(request, "only the course's staff export this badge's roster", 403)
    rows = [row for row in course_roster(context=launch.context, achievement=achievement) if row.is_learner]
    requirement_ids = [leaf.id for leaf in rows[0].progress.leaves()] if rows and rows[0].progress else []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "sis_id", "earned_on", "credential", "progress_done", "progress_needed",
                     *[f"requirement:{rid}" for rid in requirement_ids]])
    for row in rows:
        statuses = {leaf.id: leaf.status.name.lower() for leaf in row.progress.leaves()} if row.progress else {}
        writer.writerow([_cell(v) for v in (
            row.name, row.email, row.sis_id, row.award.issued_at.date().isoformat() if row.award else "",
            row.award.public_id if row.award else "", row.progress.done if row.progress else "",
            row.progress.needed if row.progress else "", *[statuses.get(rid, "") for rid in requirement_ids])])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    name = f"{launch.context.label or launch.context.context_id}-{achievement.name}"[:80]
    response["Content-Disposition"] = f'attachment; filename="{_file_name(name)}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _cell(value: object) -> str:
    """Return a CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _file_name(value: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in value).strip() or "roster"
