"""Evidence inside the course: learners send it from the badge page, assessors review the course's queue.

Like the other LTI pages, these work from the launch token (``lt``) alone, never a session cookie, and
only ever see the launch's own course. Files go back only as downloads, never rendered.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..lti import claims as c
from ..models import EvidenceSubmission
from ..public_ids import parse_uuid
from ..selectors import review_queue, review_rows
from ..services.evidence import EVIDENCE_MAX_BYTES, EvidenceRefusedError, evidence_review, evidence_submit
from .lti import error_page
from .lti_pages import STAFF, PageRefused, _open_launch, badge_context, link_badge

REVIEWERS = STAFF


def _launch(request: HttpRequest):
    return _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)


@csrf_exempt  # the launch token in the form is the proof, as on the other LTI pages
@xframe_options_exempt
@require_http_methods(["POST"])
def evidence_submit_view(request: HttpRequest) -> HttpResponse:
    """Take a learner's evidence for one requirement of the link's badge; show the page again if refused."""
    try:
        launch = _launch(request)
        upload = request.FILES.get("file")
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    except RequestDataTooBig:
        return error_page(request, f"the file is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB", 413)
    token = request.POST.get("lt", "")
    achievement = link_badge(launch)
    if achievement is None or launch.context is None:
        return error_page(request, "this link shows no badge to send evidence for", 404)
    try:
        if upload is not None and upload.size > EVIDENCE_MAX_BYTES:
            raise EvidenceRefusedError(f"the file is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB")
        evidence_submit(achievement=achievement, requirement_id=request.POST.get("requirement", ""),
                        context=launch.context, learner=launch.user.learner, text=request.POST.get("text", ""),
                        url=request.POST.get("url", ""), file_name=upload.name if upload else "",
                        file_data=upload.read() if upload else None)
    except EvidenceRefusedError as error:
        return render(request, "lti_tool/lti/badge.html", badge_context(launch, token, error=str(error)), status=400)
    return redirect(f"/lti/badge?{urlencode({'lt': token, 'done': 'submitted'})}", permanent=False)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """List the course's evidence waiting for review; approve it or return it with a comment."""
    try:
        launch = _launch(request)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    if not REVIEWERS & set(launch.roles) or launch.context is None:
        return error_page(request, "only the course's instructors and assessors review evidence", 403)
    token = request.POST.get("lt", "") if request.method == "POST" else request.GET.get("lt", "")
    error, status = "", 200
    if request.method == "POST":
        wanted = parse_uuid(request.POST.get("submission"))
        submission = review_queue(context=launch.context).filter(uuid=wanted).first()
        if submission is None:
            error, status = "that evidence is no longer waiting for review", 409
        else:
            try:
                evidence_review(submission=submission, approve=request.POST.get("decision") == "approve",
                                comment=request.POST.get("comment", ""),
                                reviewer=launch.user.name or launch.user.sub)
            except EvidenceRefusedError as refused:
                error, status = str(refused), 400
            else:
                return redirect(f"/lti/review?{urlencode({'lt': token})}", permanent=False)
    rows = review_rows(context=launch.context, platform_id=launch.user.platform_id)
    return render(request, "lti_tool/lti/review.html", {"token": token, "course": launch.context, "rows": rows,
                                                         "error": error}, status=status)


@xframe_options_exempt
@require_http_methods(["GET"])
def evidence_file(request: HttpRequest) -> HttpResponse:
    """Send a submitted file as a download, to the course's staff or to the learner who sent it."""
    try:
        launch = _launch(request)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    submission = (EvidenceSubmission.objects.filter(uuid=parse_uuid(request.GET.get("id")), context=launch.context)
                  .exclude(file_data=None).first()) if launch.context is not None else None
    allowed = submission is not None and (bool(REVIEWERS & set(launch.roles))
                                          or submission.learner_id == launch.user.learner_id)
    if not allowed:
        return error_page(request, "no such file here", 404)
    response = HttpResponse(bytes(submission.file_data), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{submission.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
