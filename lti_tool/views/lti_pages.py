"""Pages opened from an LTI launch: the badge a link shows, and the Deep Linking picker.

They carry the launch token (``lt``) in links and forms; none needs a cookie inside the LMS iframe,
so they are CSRF-exempt and the token is the proof instead (unguessable, bound to one launch,
short-lived). Every query is scoped to the launch's deployment (tenant).
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..conf import tool_settings
from ..lti import claims as c
from ..lti.deep_linking import accepts_line_items, accepts_resource_links, badge_resource, response_jwt
from ..models import LtiLaunch
from ..publication import achievement_registrar_facts
from ..selectors import course_badges, course_roster, learner_current_award
from ..services.achievements import achievement_create_in_course
from ..services.documents import image_url
from ..services.errors import ImageRejectedError, InvalidSpecError, ServiceError
from ..services.images import image_store
from ..services.lti_launches import LaunchExpired, lti_launch_get
from .lti import error_page as _error


def _launch(request: HttpRequest) -> LtiLaunch:
    token = request.POST.get("lt") if request.method == "POST" else request.GET.get("lt")
    return lti_launch_get(token=token or "")


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD"])
def badge_page(request: HttpRequest) -> HttpResponse:
    """Show the badge a link places: for learners, what it takes and their credential; for staff, the roster."""
    try:
        launch = _launch(request)
    except LaunchExpired as error:
        return _error(request, str(error), 401)
    if launch.message_type != c.RESOURCE_LINK_REQUEST or launch.resource_link is None:
        return _error(request, "this page belongs to a badge link in a course", 400)
    achievement = launch.resource_link.achievement
    staff = bool({"instructor", "assessor", "admin"} & set(launch.roles))
    context = {"launch": launch, "token": request.GET.get("lt"), "achievement": achievement, "staff": staff,
               "course": launch.context, "badges": course_badges(deployment=launch.deployment, context=launch.context)}
    if achievement is not None:
        context["image"] = image_url(achievement.image, achievement.issuer.base_url) or ""
        context["facts"] = _facts(achievement)
        context["award"] = learner_current_award(learner=launch.user.learner, achievement=achievement)
        if staff and launch.context is not None:
            context["roster"] = course_roster(context=launch.context, achievement=achievement)
    return render(request, "lti_tool/lti/badge.html", context)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """Deep Linking picker: choose a course badge or create one; answer the platform with a content item."""
    try:
        launch = _launch(request)
    except LaunchExpired as error:
        return _error(request, str(error), 401)
    if launch.message_type != c.DEEP_LINKING_REQUEST:
        return _error(request, "this page answers a Deep Linking request from the LMS", 400)
    settings = launch.claims.get(c.DL_SETTINGS, {})
    if not accepts_resource_links(settings):
        # DL 2.0 §4.2.4: tell the platform why there is nothing to place, instead of failing.
        return _return_to_platform(request, launch, [], errormsg=(
            "Accolade places badges as LTI resource links, which this placement does not accept. "
            "Add the badge as an activity or module item instead."))
    if not {"instructor", "admin"} & set(launch.roles):
        return _error(request, "only instructors can place badges in a course", 403)
    token = request.POST.get("lt") or request.GET.get("lt")
    form = {"name": "", "description": "", "criteria": "", "gradebook": False}
    problems: list[str] = []
    if request.method == "POST":
        gradebook = request.POST.get("gradebook") == "on" and accepts_line_items(settings)
        if request.POST.get("action") == "select":
            chosen = course_badges(deployment=launch.deployment, context=launch.context).filter(
                uuid=request.POST.get("badge", "")).first() if _is_uuid(request.POST.get("badge", "")) else None
            if chosen is None:
                problems.append("choose one of this course's badges")
            else:
                return _return_to_platform(request, launch, [_content_item(chosen, gradebook)])
        else:
            form = {key: request.POST.get(key, "").strip() for key in ("name", "description", "criteria")}
            form["gradebook"] = gradebook
            try:
                image = None
                if request.FILES.get("image") is not None:
                    image = image_store(data=request.FILES["image"].read(),
                                        content_type=request.FILES["image"].content_type)
                created = achievement_create_in_course(deployment=launch.deployment, context=launch.context,
                                                       image=image, **{k: form[k] for k in
                                                                       ("name", "description", "criteria")})
            except InvalidSpecError as error:
                problems.extend(error.problems)
            except (ServiceError, ImageRejectedError) as error:
                problems.append(str(error))
            else:
                return _return_to_platform(request, launch, [_content_item(created, gradebook)])
    return render(request, "lti_tool/lti/deep_link.html", {
        "launch": launch, "token": token, "badges": course_badges(deployment=launch.deployment,
                                                                  context=launch.context),
        "form": form, "problems": problems, "line_items": accepts_line_items(settings),
        "can_create": launch.deployment.issuer is not None}, status=400 if problems else 200)


def _content_item(achievement, gradebook: bool):
    return badge_resource(title=achievement.name, url=f"{tool_settings.public_url}/lti/launch",
                          badge_uuid=str(achievement.uuid), text=achievement.description[:1000],
                          icon_url=image_url(achievement.image, achievement.issuer.base_url),
                          line_item_label=achievement.name if gradebook else None)


def _return_to_platform(request: HttpRequest, launch: LtiLaunch, items, *, errormsg: str = "") -> HttpResponse:
    settings = launch.claims.get(c.DL_SETTINGS, {})
    token = response_jwt(registration=launch.deployment.registration, deployment_id=launch.deployment.deployment_id,
                         settings=settings, resources=items, errormsg=errormsg,
                         msg="" if errormsg else f"Placed {len(items)} badge(s) from Accolade.")
    return render(request, "lti_tool/lti/deep_link_return.html",
                  {"return_url": settings["deep_link_return_url"], "jwt": token, "errormsg": errormsg})


def _facts(achievement) -> list[tuple[str, str]]:
    return achievement_registrar_facts(achievement)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
