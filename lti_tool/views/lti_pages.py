"""Pages opened from an LTI launch: the badge a link shows, and the Deep Linking picker.

They live in the LMS iframe, where cookies may be blocked, so none uses a session or CSRF cookie:
links and forms carry the launch token (``lt``) instead. The token is unguessable, bound to one
launch (one user, one deployment, one message type) and short-lived, so it is the proof a CSRF
token would give. A resource-link token opens only the badge page and a Deep Linking token only
the picker. Every query is scoped to the launch's deployment (the tenant) and course.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..conf import tool_settings
from ..core.criteria.rules import parse_criteria
from ..criteria_form import KINDS, form_from_rules
from ..criteria_text import criteria_outline, progress_lines
from ..lti import claims as c
from ..lti import deep_linking as dl
from ..lti.login import launch_url
from ..models import Achievement, Award, LtiDeployment, LtiLaunch, LtiRegistration
from ..publication import achievement_registrar_facts
from ..selectors import (
    badge_progress,
    bulk_jobs_recent,
    course_badge,
    course_badges,
    course_line_items,
    course_roster,
    criteria_labels,
    learner_current_award,
    learner_evidence,
    review_queue,
    sign_off_requirements,
)
from ..services.achievements import achievement_create_in_course
from ..services.documents import image_url
from ..services.errors import InvalidSpecError, ServiceError
from ..services.lti_launches import LaunchExpired, lti_launch_get
from ..uploads import MAX_UPLOAD_BYTES
from .lti import error_page

STAFF = frozenset({"instructor", "assessor", "admin"})
PLACERS = frozenset({"instructor", "admin"})
FORM_FIELDS = ("name", "description", "criteria")


class PageRefused(Exception):
    """Raise to answer with the LTI error page (status and a message for people)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _open_launch(request: HttpRequest, *, message_type: str) -> LtiLaunch:
    """Return the launch behind the ``lt`` token, refusing tokens of another kind of launch."""
    try:
        token = request.POST.get("lt") if request.method == "POST" else request.GET.get("lt")
    except RequestDataTooBig:
        raise PageRefused(413, f"that upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; go back and "
                               "choose a smaller image") from None
    try:
        launch = lti_launch_get(token=token or "")
    except LaunchExpired as error:
        raise PageRefused(401, str(error)) from None
    if launch.deployment.status != LtiDeployment.Status.ACTIVE or \
            launch.deployment.registration.status != LtiRegistration.Status.ACTIVE:
        raise PageRefused(403, "this LMS connection has been switched off by an administrator")
    if launch.message_type != message_type:
        if message_type == c.DEEP_LINKING_REQUEST:
            raise PageRefused(403, "this page answers the LMS's request to choose content (Deep Linking); "
                                   "open it from your course's activity settings")
        raise PageRefused(403, "this page belongs to a badge link in a course; open the link from the course")
    return launch


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD"])
def badge_page(request: HttpRequest) -> HttpResponse:
    """Show the badge a link places: to learners what it takes and their credential; to staff the roster."""
    try:
        launch = _open_launch(request, message_type=c.RESOURCE_LINK_REQUEST)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    notice = {"submitted": "Your evidence was sent. An assessor will review it.",
              "awarded": "Badge awarded. The learner's credential is signed and ready.",
              "revoked": "Award revoked. Verifiers now see it as revoked.",
              "signed": "Signed off. The learner's progress is updated.",
              "criteria": "Criteria saved. Learners who meet them are awarded in a moment; the rest see their "
                          "progress.",
              "bulk": "File checked: every line names a learner of this course. The awards are being issued; "
                      "this page shows when they are done."}.get(request.GET.get("done", ""), "")
    return render(request, "lti_tool/lti/badge.html", badge_context(launch, request.GET.get("lt", ""),
                                                                    notice=notice))


def criteria_editor(achievement: Achievement, context, badges) -> dict:
    """Return what the criteria editor shows: the saved criteria as rows, line items and badges to pick."""
    form = form_from_rules(achievement.criteria_rules, revoke_on_regression=achievement.revoke_on_regression,
                           retroactive=achievement.retroactive)
    line_items = course_line_items(context=context)
    locked = achievement.registrar_approved or achievement.approval_requested_at is not None \
        or achievement.status == Achievement.Status.SUBMITTED
    return {"criteria_form": form, "criteria_kinds": KINDS.items(), "criteria_locked": locked,
            "criteria_items": line_items, "criteria_item_keys": [key for key, _label in line_items],
            "criteria_badges": [(str(b.uuid), b.name) for b in badges if b.pk != achievement.pk]}


def link_badge(launch: LtiLaunch) -> Achievement | None:
    """Return the badge of the launch's link, never another tenant's or course's whatever the link row says."""
    link = launch.resource_link
    achievement = link.achievement if link is not None else None
    if achievement is not None and (achievement.deployment_id != launch.deployment_id
                                    or achievement.lti_context_id not in (None, launch.context_id)):
        return None
    return achievement


def badge_context(launch: LtiLaunch, token: str, *, error: str = "", notice: str = "") -> dict:
    """Return what the badge page shows for this launch (also used to show it again with an error)."""
    link = launch.resource_link
    achievement = link_badge(launch)
    roles = set(launch.roles)
    badges = course_badges(deployment=launch.deployment, context=launch.context)
    context = {
        "token": token, "course": launch.context, "achievement": achievement, "error": error, "notice": notice,
        "staff": bool(STAFF & roles), "can_place": bool(PLACERS & roles),
        "other_badges": _with_images(badge for badge in badges if achievement is None or badge.pk != achievement.pk),
        "gradebook": bool(link is not None and link.lineitem_url),
    }
    if achievement is None:
        return context
    context["image"] = image_url(achievement.image, achievement.issuer.base_url) or ""
    context["facts"] = achievement_registrar_facts(achievement)
    award = learner_current_award(learner=launch.user.learner, achievement=achievement)
    context["award"] = award
    if achievement.criteria_rules and launch.context is not None:
        labels, badge_names = criteria_labels(context=launch.context, achievement=achievement)
        context["labels"] = labels
        if not context["staff"]:
            outcome = badge_progress(context=launch.context, achievement=achievement,
                                     learners=[launch.user.learner])[launch.user.learner_id]
            context.update(progress=outcome, progress_lines=progress_lines(outcome, labels=labels,
                                                                           badges=badge_names),
                           evidence=learner_evidence(achievement=achievement, context=launch.context,
                                                     learner=launch.user.learner))
        else:
            context["criteria_lines"] = criteria_outline(parse_criteria(achievement.criteria_rules),
                                                         labels=labels, badges=badge_names)
            context["review_count"] = review_queue(context=launch.context).count()
    if award is not None:
        context["share"] = _share_links(award, achievement)
    if context["staff"] and launch.context is not None:
        context["sign_offs"] = [item for item in sign_off_requirements(achievement) if item.roles & roles]
        roster = course_roster(context=launch.context, achievement=achievement)
        learners = [row for row in roster if row.is_learner]
        context.update(roster=roster, learner_count=len(learners),
                       earned_count=sum(1 for row in learners if row.award is not None))
        if context["can_place"]:
            context["bulk_jobs"] = bulk_jobs_recent(achievement=achievement, context=launch.context)
            context.update(criteria_editor(achievement, launch.context, badges))
    return context


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """Deep Linking picker: choose a course badge or create one; answer the platform with a content item."""
    try:
        launch = _open_launch(request, message_type=c.DEEP_LINKING_REQUEST)
        if not PLACERS & set(launch.roles):
            raise PageRefused(403, "only the course's instructors can place badges")
        settings = launch.claims.get(c.DL_SETTINGS) or {}
        dl.return_url(settings)
    except PageRefused as refused:
        return error_page(request, str(refused), refused.status)
    except dl.DeepLinkingRefused as error:
        return error_page(request, str(error), 400)
    if not dl.accepts_resource_links(settings):
        # DL 2.0 §4.2: tell the platform (errormsg) why nothing comes back, instead of failing here.
        return _return_to_platform(request, launch, None, errormsg=(
            "Accolade places badges as LTI links, which this spot in the course does not accept. "
            "Add Accolade as an activity (or module item) instead."),
            errorlog=f"accept_types {settings.get('accept_types')!r} has no ltiResourceLink")
    line_items = dl.accepts_line_items(settings)
    form = {"name": _text(settings.get("title")), "description": _text(settings.get("text")), "criteria": "",
            "gradebook": False}
    problems: list[str] = []
    if request.method == "POST":
        gradebook = line_items and request.POST.get("gradebook") == "on"
        if request.POST.get("action") == "select":
            chosen = course_badge(deployment=launch.deployment, context=launch.context,
                                  badge_uuid=request.POST.get("badge", ""))
            if chosen is not None:
                return _return_to_platform(request, launch, chosen, gradebook=gradebook)
            problems.append("badge: choose one of this course's badges")
        elif request.POST.get("action") == "create":
            form = {**{key: request.POST.get(key, "").strip() for key in FORM_FIELDS}, "gradebook": gradebook}
            upload = request.FILES.get("image")
            try:
                created = achievement_create_in_course(
                    deployment=launch.deployment, context=launch.context, **{key: form[key] for key in FORM_FIELDS},
                    image_data=upload.read() if upload is not None else None,
                    image_content_type=_declared_type(upload), created_by=launch.user.name or launch.user.sub)
            except InvalidSpecError as error:
                problems.extend(error.problems)
            except ServiceError as error:
                problems.append(str(error))
            else:
                return _return_to_platform(request, launch, created, gradebook=gradebook)
        else:
            problems.append("the form was incomplete; choose a badge or fill in a new one")
    return render(request, "lti_tool/lti/deep_link.html", {
        "launch": launch, "token": request.POST.get("lt") or request.GET.get("lt", ""), "course": launch.context,
        "badges": _with_images(course_badges(deployment=launch.deployment, context=launch.context)), "form": form,
        "problems": problems, "line_items": line_items, **_by_field(problems),
        "auto_create": dl.creates_at_once(settings), "can_create": launch.deployment.issuer_id is not None,
        "in_course": launch.context is not None, "image_max": f"{tool_settings.IMAGE_MAX_BYTES / 1048576:g} MB",
        "picked": request.POST.get("badge", "") if request.method == "POST" else ""},
        status=400 if problems else 200)


def _return_to_platform(request: HttpRequest, launch: LtiLaunch, achievement: Achievement | None, *,
                        gradebook: bool = False, errormsg: str = "", errorlog: str = "") -> HttpResponse:
    """Render the page that posts the signed Deep Linking response back to the platform."""
    settings = launch.claims.get(c.DL_SETTINGS) or {}
    items = [] if achievement is None else [_content_item(achievement, settings, gradebook=gradebook)]
    token = dl.response_jwt(
        registration=launch.deployment.registration, deployment_id=launch.deployment.deployment_id,
        settings=settings, resources=items, errormsg=errormsg, errorlog=errorlog,
        msg="" if achievement is None else f"Placed the badge “{achievement.name}” from Accolade.",
        log="" if achievement is None else f"accolade badge {achievement.uuid}")
    return render(request, "lti_tool/lti/deep_link_return.html", {
        "return_url": dl.return_url(settings), "jwt": token, "errormsg": errormsg, "achievement": achievement,
        "course": launch.context})


def _content_item(achievement: Achievement, settings, *, gradebook: bool) -> dl.BadgeResource:
    image = achievement.image
    return dl.badge_resource(
        title=achievement.name, url=launch_url(), badge_uuid=str(achievement.uuid),
        text=achievement.description, icon_url=image_url(image, achievement.issuer.base_url),
        icon_size=(image.width, image.height) if image is not None else (None, None),
        line_item=gradebook, target=dl.presentation(settings))


def _share_links(award: Award, achievement: Achievement) -> dict[str, str]:
    """Links a learner needs for an earned badge: the credential page, downloads, LinkedIn."""
    url = award.public_id
    extension = achievement.image.extension if achievement.image is not None else "svg"
    linkedin = "https://www.linkedin.com/profile/add?" + urlencode({
        "startTask": "CERTIFICATION_NAME", "name": achievement.name, "organizationName": achievement.issuer.name,
        "issueYear": award.issued_at.year, "issueMonth": award.issued_at.month, "certUrl": url,
        "certId": str(award.uuid)})
    return {"credential": url, "badge": f"{url}/badge.{extension}", "extension": extension,
            "json": f"{url}?format=json", "linkedin": linkedin}


def _with_images(badges) -> list[tuple[Achievement, str | None]]:
    return [(badge, image_url(badge.image, badge.issuer.base_url)) for badge in badges]


def _by_field(problems: list[str]) -> dict[str, object]:
    """Split ``field: message`` problems into per-field messages (shown at the field) and the rest."""
    fields: dict[str, list[str]] = {}
    other: list[str] = []
    for problem in problems:
        field, sep, message = problem.partition(": ")
        if sep and field in (*FORM_FIELDS, "image", "badge"):
            fields.setdefault(field, []).append("this is required" if message == "required" else message)
        else:
            other.append(problem)
    create = sum(len(fields.get(name, [])) for name in (*FORM_FIELDS, "image"))
    return {"field_problems": fields, "other_problems": other, "create_problems": create}


def _declared_type(upload) -> str | None:
    """Return the browser's content type for an upload when it names an image type (else let the bytes say)."""
    declared = (getattr(upload, "content_type", "") or "").lower()
    return declared if declared.startswith("image/") else None


def _text(value: object) -> str:
    return value.strip()[:1000] if isinstance(value, str) else ""
