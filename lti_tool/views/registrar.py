"""The registrar's pages: approvals, catalog, feed state, reconciliation, unmatched learners, disclosures.

Signed-in staff only (Django accounts; ``manage.py registrar_grant`` gives a person the role for an
issuer). Views check the role, parse the form and delegate to services and
:mod:`lti_tool.registrar_report`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..conf import tool_settings
from ..models import Achievement, FeedDelivery, FeedEndpoint, Issuer, Learner
from ..public_ids import parse_uuid
from ..registrar_report import (
    disclosures_csv,
    reconciliation_csv,
    registrar_issuers,
    registrar_report,
    report_range,
)
from ..services import governance
from ..services.api_clients import api_token_url
from ..services.errors import ServiceError
from ..services.feed_delivery import feed_replay_dead
from ..services.feed_endpoints import feed_endpoint_create, feed_endpoint_enable
from ..services.feed_pull import registrar_client_create
from ..services.feed_sftp import sftp_endpoint_create
from ..services.learners import learner_sis_id_link
from ..shown_once import stash, take

LOGIN = "/registrar/login/"


class SignIn(LoginView):
    """Sign in with a Django account (registrars need not be staff of the admin site)."""

    template_name = "lti_tool/registrar/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return "/registrar/"


class SignOut(LogoutView):
    next_page = LOGIN


def _issuer(request: HttpRequest, issuer_uuid) -> Issuer:
    issuer = next((i for i in registrar_issuers(user=request.user) if i.uuid == issuer_uuid), None)
    if issuer is None:
        raise Http404("you are not registrar for this issuer")
    return issuer


# Name (plus the destination's id) of the secrets a new destination shows once.
_SHOWN = "registrar-destination-"


def _who(request: HttpRequest) -> str:
    return request.user.get_full_name() or request.user.get_username()


@require_safe
@login_required(login_url=LOGIN)
def home(request: HttpRequest) -> HttpResponse:
    """List the issuers this person is registrar for (or go straight to the only one)."""
    issuers = registrar_issuers(user=request.user)
    if len(issuers) == 1:
        return redirect("registrar-issuer", issuer_uuid=issuers[0].uuid)
    return render(request, "lti_tool/registrar/home.html", {"issuers": issuers}, status=200 if issuers else 403)


@require_http_methods(["GET", "HEAD"])
@login_required(login_url=LOGIN)
def issuer_page(request: HttpRequest, issuer_uuid) -> HttpResponse:
    """Show approvals waiting, the catalog, the feed, unmatched learners, conflicts and disclosures.

    After a destination is added, its new secrets are shown here once: taken out of the session as
    they are shown, so a reload shows them no more and adds nothing again.
    """
    issuer = _issuer(request, issuer_uuid)
    added = request.GET.get("added", "")[:40]
    once = take(request.session, _SHOWN + added) if added and request.method == "GET" else None  # not on HEAD
    response = _page(request, issuer, notice=request.GET.get("notice", "")[:300],
                     error=request.GET.get("error", "")[:500],
                     **({"added": {"name": once["name"]}, "shown": once["shown"]} if once else {}))
    if once:
        response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required(login_url=LOGIN)
def decide(request: HttpRequest, issuer_uuid, achievement_uuid) -> HttpResponse:
    """Approve, return (with a note) or retire one credential."""
    issuer = _issuer(request, issuer_uuid)
    achievement = Achievement.objects.filter(issuer=issuer, uuid=achievement_uuid).first()
    if achievement is None:
        raise Http404("no such credential")
    action, note = request.POST.get("action", ""), request.POST.get("note", "").strip()
    steps = {"approve": lambda: governance.achievement_approve(achievement=achievement, registrar=_who(request),
                                                              note=note),
             "return": lambda: governance.achievement_return(achievement=achievement, registrar=_who(request),
                                                            note=note),
             "retire": lambda: governance.achievement_retire(achievement=achievement, actor=_who(request), note=note)}
    if action not in steps:
        return _back(issuer, error="unknown action")
    try:
        steps[action]()
    except ServiceError as error:
        return _back(issuer, error=str(error))
    done = {"approve": "approved", "return": "returned with your note", "retire": "retired"}[action]
    return _back(issuer, notice=f"{achievement.name}: {done}")


@require_POST
@login_required(login_url=LOGIN)
def link_sis_id(request: HttpRequest, issuer_uuid, learner_uuid) -> HttpResponse:
    """Give an unmatched learner their SIS id; their waiting events go out."""
    issuer = _issuer(request, issuer_uuid)
    learner = Learner.objects.filter(uuid=parse_uuid(str(learner_uuid))).first()
    if learner is None or not FeedDelivery.objects.filter(endpoint__issuer=issuer, learner=learner).exists():
        raise Http404("no such learner in this feed")
    try:
        learner_sis_id_link(learner=learner, sis_id=request.POST.get("sis_id", ""), by=_who(request), issuer=issuer)
    except ServiceError as error:
        return _back(issuer, error=str(error))
    return _back(issuer, notice=f"{learner} matched; their waiting events are on their way")


@require_POST
@login_required(login_url=LOGIN)
def endpoint_action(request: HttpRequest, issuer_uuid, endpoint_uuid) -> HttpResponse:
    """Switch an endpoint back on, or send its dead deliveries again."""
    issuer = _issuer(request, issuer_uuid)
    endpoint = FeedEndpoint.objects.filter(issuer=issuer, uuid=endpoint_uuid).first()
    if endpoint is None:
        raise Http404("no such endpoint")
    if request.POST.get("action") == "enable":
        feed_endpoint_enable(endpoint=endpoint)
        return _back(issuer, notice=f"{endpoint.name} is on again")
    count = feed_replay_dead(endpoint=endpoint)
    if not count:
        return _back(issuer, notice="nothing to send again")
    return _back(issuer, notice=f"{count} events queued again for {endpoint.name}")


@require_POST
@login_required(login_url=LOGIN)
def add_destination(request: HttpRequest, issuer_uuid) -> HttpResponse:
    """Point the feed at the registrar's system: a webhook, a pull client, a OneRoster gradebook or SFTP.

    Secrets made here (the webhook's signing secret, the pull client's secret) are shown once, on
    the page this form redirects to (post/redirect/get: a reload cannot add the destination twice).
    """
    issuer = _issuer(request, issuer_uuid)
    form = request.POST
    kind, name = form.get("kind", ""), form.get("name", "").strip()
    identifier_types = form.getlist("identifier_types") or ["sisSourcedId", "lisSourcedId"]
    payload = "full" if form.get("payload") == "full" else "thin"
    shown: list[tuple[str, str]] = []
    try:
        if kind == "webhook":
            endpoint, secret = feed_endpoint_create(issuer=issuer, name=name, url=form.get("url", "").strip(),
                                                    identifier_types=identifier_types, payload=payload)
            shown = [("Signing secret (Standard Webhooks)", secret)]
        elif kind == "pull":
            new, endpoint = registrar_client_create(issuer=issuer, name=name, identifier_types=identifier_types,
                                                    payload=payload)
            shown = [("Client id", str(new.client.client_id)), ("Client secret", new.secret),
                     ("Token URL (scope registrar:feed)", api_token_url()),
                     ("Events", f"{tool_settings.public_url}/api/registrar/v1/events?after=0")]
        elif kind == "oneroster":
            endpoint, _none = feed_endpoint_create(
                issuer=issuer, name=name, url=form.get("url", "").strip(), kind="oneroster",
                identifier_types=identifier_types, oneroster_secret=form.get("client_secret", ""),
                settings={"token_url": form.get("token_url", "").strip(), "client_id": form.get("client_id", ""),
                          "class_sourced_id": form.get("class_sourced_id", "").strip()})
        elif kind == "sftp":
            endpoint = sftp_endpoint_create(issuer=issuer, name=name, url=form.get("url", "").strip(),
                                            username=form.get("username", ""), password=form.get("password", ""),
                                            host_key_sha256=form.get("host_key", "").strip())
        else:
            raise ServiceError("choose what kind of destination to add")
    except ServiceError as error:
        return _back(issuer, error=str(error))
    if shown:
        stash(request.session, _SHOWN + str(endpoint.uuid), {"name": endpoint.name, "shown": shown})
    return _back(issuer, notice=f"{endpoint.name} added.", added=str(endpoint.uuid) if shown else "")


@require_safe
@login_required(login_url=LOGIN)
def reconciliation(request: HttpRequest, issuer_uuid) -> HttpResponse:
    """Download the reconciliation CSV for the range."""
    issuer = _issuer(request, issuer_uuid)
    first, last = report_range(request.GET.get("from"), request.GET.get("to"))
    return _csv(reconciliation_csv(issuer=issuer, first=first, last=last), f"reconciliation-{first}-{last}.csv")


@require_safe
@login_required(login_url=LOGIN)
def disclosure_log(request: HttpRequest, issuer_uuid) -> HttpResponse:
    """Download the disclosure log for the range (34 CFR §99.32)."""
    issuer = _issuer(request, issuer_uuid)
    first, last = report_range(request.GET.get("from"), request.GET.get("to"))
    return _csv(disclosures_csv(issuer=issuer, first=first, last=last), f"disclosures-{first}-{last}.csv")


def _page(request: HttpRequest, issuer: Issuer, **extra) -> HttpResponse:
    """Render the registrar page for the range in the query (default: the last 30 days)."""
    first, last = report_range(request.GET.get("from"), request.GET.get("to"))
    return render(request, "lti_tool/registrar/issuer.html", {
        "issuer": issuer, "report": registrar_report(issuer=issuer, first=first, last=last),
        "range": urlencode({"from": first, "to": last}), **extra})


def _csv(rows, name: str) -> HttpResponse:
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _back(issuer: Issuer, *, notice: str = "", error: str = "", added: str = "") -> HttpResponse:
    query = urlencode({key: value for key, value in (("notice", notice), ("error", error), ("added", added))
                       if value})
    return redirect(f"/registrar/{issuer.uuid}{'?' + query if query else ''}{'#secrets' if added else ''}")
