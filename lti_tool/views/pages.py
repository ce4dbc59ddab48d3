"""Pages for people: home, catalog, issuer, achievement, credential (with live verification), verify."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from .. import publication
from ..catalog import catalog_achievements, catalog_entry
from ..conf import tool_settings
from ..models import Issuer
from ..public_ids import parse_uuid
from ..selectors import achievement_for_page, award_for_page, issuer_achievements, issuer_for_page
from ..services.documents import image_url
from ..services.verification import credential_verify
from .negotiation import json_response, wants_html

MAX_VERIFY_BYTES = 5 * 1024 * 1024


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "lti_tool/home.html", {"issuers": Issuer.objects.all()[:20]})


@require_safe
def catalog_page(request: HttpRequest) -> HttpResponse:
    """Serve the catalog of credentials the registrar approved: a page, or JSON (``catalog.json``)."""
    issuer = None
    if request.GET.get("issuer"):
        issuer = Issuer.objects.filter(uuid=parse_uuid(request.GET["issuer"])).first() \
            if parse_uuid(request.GET["issuer"]) else None
        if issuer is None:
            raise Http404("no such issuer")
    achievements = list(catalog_achievements(issuer=issuer))
    if request.path.endswith(".json") or not wants_html(request):
        return json_response({"credentials": [catalog_entry(a) for a in achievements], "count": len(achievements)},
                             content_type="application/json")
    return render(request, "lti_tool/catalog.html", {
        "issuer": issuer, "entries": [(a, catalog_entry(a)) for a in achievements]})


@require_safe
def issuer_page(request: HttpRequest, issuer_uuid) -> HttpResponse:
    """Serve the issuer profile: JSON-LD controller document for machines, a page for people."""
    if not wants_html(request):
        try:
            return json_response(publication.issuer_document(issuer_uuid=issuer_uuid))
        except publication.NotFound as error:
            raise Http404(str(error)) from None
    issuer = issuer_for_page(issuer_uuid=issuer_uuid)
    return render(request, "lti_tool/issuer.html", {
        "issuer": issuer, "logo": image_url(issuer.image, issuer.base_url),
        "achievements": issuer_achievements(issuer=issuer)})


@require_safe
def achievement_page(request: HttpRequest, achievement_uuid) -> HttpResponse:
    """Serve an achievement: OB 3.0 Achievement JSON-LD for machines, a page for people."""
    if not wants_html(request):
        try:
            return json_response(publication.achievement_document(achievement_uuid=achievement_uuid))
        except publication.NotFound as error:
            raise Http404(str(error)) from None
    achievement = achievement_for_page(achievement_uuid=achievement_uuid)
    return render(request, "lti_tool/achievement.html", {
        "achievement": achievement,
        "image": image_url(achievement.image, achievement.issuer.base_url),
        "facts": publication.achievement_registrar_facts(achievement)})


@require_safe
def credential_page(request: HttpRequest, award_uuid) -> HttpResponse:
    """Serve a credential: the signed JSON for machines; for people, a page that verifies it live."""
    if not wants_html(request):
        try:
            return json_response(publication.credential_document(award_uuid=award_uuid), max_age=60)
        except publication.NotFound as error:
            raise Http404(str(error)) from None
    award = award_for_page(award_uuid=award_uuid)
    result = credential_verify(data=award.credential)
    achievement = award.achievement
    issuer = achievement.issuer
    url = award.public_id
    linkedin = "https://www.linkedin.com/profile/add?" + urlencode({
        "startTask": "CERTIFICATION_NAME", "name": achievement.name, "organizationName": issuer.name,
        "issueYear": award.issued_at.year, "issueMonth": award.issued_at.month, "certUrl": url,
        "certId": str(award.uuid)})
    image_ext = achievement.image.extension if achievement.image else "svg"
    return render(request, "lti_tool/credential.html", {
        "award": award, "achievement": achievement, "issuer": issuer, "result": result,
        "image": image_url(achievement.image, issuer.base_url) or f"{url}/badge.svg",
        "image_ext": image_ext, "linkedin_url": linkedin, "credential_url": url,
        "facts": publication.achievement_registrar_facts(achievement),
        "has_ob2": bool(award.ob2_assertion_jws)})


@require_safe
def credential_jwt(request: HttpRequest, award_uuid) -> HttpResponse:
    """Serve the VC-JWT form of a credential as text (OB 3.0 §8.2)."""
    award = award_for_page(award_uuid=award_uuid)
    if not award.credential_jwt:
        raise Http404("no VC-JWT for this credential")
    response = HttpResponse(award.credential_jwt, content_type="application/vc+jwt")
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Disposition"] = f'inline; filename="{award.uuid}.jwt"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Verify a credential someone has: paste JSON, a JWT or a URL, or upload a baked image."""
    context: dict = {"max_mb": MAX_VERIFY_BYTES // (1024 * 1024)}
    if request.method == "POST":
        try:
            upload = request.FILES.get("file")
            text = request.POST.get("credential", "").strip()
        except RequestDataTooBig:
            context["error"] = f"That upload is larger than {context['max_mb']} MB."
            return render(request, "lti_tool/verify.html", context, status=413)
        if upload is not None:
            if upload.size > MAX_VERIFY_BYTES:
                context["error"] = f"That file is larger than {context['max_mb']} MB."
                return render(request, "lti_tool/verify.html", context, status=413)
            data = upload.read()
            context["submitted"] = upload.name
        elif text:
            data = text
            context["submitted_text"] = text[:20000]
        else:
            context["error"] = "Paste a credential or choose a file to verify."
            return render(request, "lti_tool/verify.html", context, status=400)
        context["result"] = credential_verify(data=data)
    elif request.GET.get("url"):
        context["submitted_text"] = request.GET["url"][:2000]
        context["result"] = credential_verify(data=request.GET["url"][:2000])
    context["public_url"] = tool_settings.public_url
    return render(request, "lti_tool/verify.html", context)
