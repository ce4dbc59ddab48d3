"""The instructor's criteria editor on a badge link: rows of requirements, or the whole tree as text."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..criteria_form import form_from_post, rules_from_form
from ..lti import claims as c
from ..services.criteria import achievement_rules_set
from ..services.errors import InvalidSpecError
from .lti import error_page
from .lti_pages import PLACERS, PageRefused, _open_launch, badge_context, link_badge


@csrf_exempt  # the launch token in the form is the proof, as on the other LTI pages
@xframe_options_exempt
@require_http_methods(["POST"])
def criteria_edit(request: HttpRequest) -> HttpResponse:
    """Save the badge's criteria and award policy; show every problem, by row, and change nothing if any."""
    try:
        launch = _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    token = request.POST.get("lt", "")
    achievement = link_badge(launch)
    if achievement is None or launch.context is None or not PLACERS & set(launch.roles):
        return error_page(request, "only the course's instructors set this badge's criteria", 403)
    rules, problems = rules_from_form(request.POST)
    if rules is not None:
        try:
            achievement_rules_set(achievement=achievement, rules=rules,
                                  revoke_on_regression=request.POST.get("revoke_on_regression") == "on",
                                  retroactive=request.POST.get("retroactive") == "on")
        except InvalidSpecError as error:
            problems = list(error.problems)
    if problems:
        context = badge_context(launch, token, error="The criteria were not saved: see the problems below.")
        context.update(criteria_problems=problems, criteria_form=form_from_post(request.POST),
                       criteria_text_open=request.POST.get("mode") == "text")
        return render(request, "lti_tool/lti/badge.html", context, status=400)
    return redirect(f"/lti/badge?{urlencode({'lt': token, 'done': 'criteria'})}", permanent=False)
