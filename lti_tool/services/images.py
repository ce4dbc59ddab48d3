"""Store badge and issuer images after checking them (broken PNGs and hostile SVGs are refused)."""

from __future__ import annotations

import hashlib

from ..conf import tool_settings
from ..core.baking import BakingError, check_png, sanitize_svg
from ..core.baking.detect import looks_like_svg
from ..models import StoredImage
from .errors import ImageRejectedError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_store(*, data: bytes, content_type: str | None = None) -> StoredImage:
    """Check an image and store it (deduplicated by content).

    PNGs are parsed chunk by chunk (CRCs, dimensions); SVGs are parsed without DTDs and stripped of
    scripts, event handlers and external references. ``content_type``, when given, must agree with
    what the bytes are.

    Raises:
        ImageRejectedError: the image is too large, broken, hostile or of another type.
    """
    if len(data) > tool_settings.IMAGE_MAX_BYTES:
        raise ImageRejectedError(f"image is larger than {tool_settings.IMAGE_MAX_BYTES // 1024} KiB")
    if not data:
        raise ImageRejectedError("image is empty")
    width = height = None
    try:
        if data.startswith(PNG_SIGNATURE):
            kind = "image/png"
            info = check_png(data)
            width, height = info.width, info.height
        elif looks_like_svg(data):
            kind = "image/svg+xml"
            data = sanitize_svg(data)
        else:
            raise ImageRejectedError("badge images must be PNG or SVG")
    except BakingError as error:
        raise ImageRejectedError(f"image rejected: {error}") from error
    if content_type and content_type.split(";")[0].strip().lower() != kind:
        raise ImageRejectedError(f"file says it is {content_type} but it is {kind}")
    digest = hashlib.sha256(data).hexdigest()
    existing = StoredImage.objects.filter(sha256=digest, content_type=kind).first()
    if existing:
        return existing
    return StoredImage.objects.create(content_type=kind, data=data, sha256=digest, width=width, height=height)
