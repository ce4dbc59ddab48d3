"""Images: stored badge/issuer images and baked badge downloads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from ..core.baking import BakingError
from ..models import StoredImage
from ..selectors import award_for_page
from ..services.baking import award_baked_image
from ..services.errors import ServiceError


def _image_response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    if content_type == "image/svg+xml":
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response


@require_safe
def stored_image(request: HttpRequest, image_uuid, extension: str) -> HttpResponse:
    image = StoredImage.objects.filter(uuid=image_uuid).first()
    if image is None or image.extension != extension:
        raise Http404("no such image")
    return _image_response(bytes(image.data), image.content_type)


@require_safe
def baked_badge(request: HttpRequest, award_uuid, extension: str, ob_version: str = "3.0") -> HttpResponse:
    """Download the badge with the credential baked in (``?proof=jwt`` bakes the VC-JWT)."""
    award = award_for_page(award_uuid=award_uuid)
    proof = "jwt" if request.GET.get("proof") == "jwt" else "json"
    try:
        baked = award_baked_image(award=award, image_format=extension, proof=proof, ob_version=ob_version)
    except ServiceError as error:
        raise Http404(str(error)) from None
    except BakingError as error:  # e.g. a stored image our baker cannot carry the credential in
        return HttpResponse(f"This badge image cannot be baked: {error}", status=422, content_type="text/plain")
    response = _image_response(baked.data, baked.content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=baked.filename)
    return response
