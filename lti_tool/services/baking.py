"""Bake an award's credential into its badge image for download (OB 3.0 §5.3, OB 2.0 baking)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..badge_art import default_badge_svg
from ..core.baking import bake_png, bake_svg
from ..models import Award
from .errors import ServiceError


@dataclass(frozen=True)
class BakedImage:
    data: bytes
    content_type: str
    filename: str


def award_baked_image(*, award: Award, image_format: str, proof: str = "json", ob_version: str = "3.0") -> BakedImage:
    """Return the badge image of ``award`` with its credential baked in.

    Args:
        award: the award whose credential is baked.
        image_format: "png" or "svg"; must match the achievement's image (a default SVG is drawn
            for achievements without an image).
        proof: "json" (Data Integrity credential) or "jwt" (VC-JWT) for OB 3.0.
        ob_version: "3.0", or "2.0" for older backpacks (the signed OB 2.0 assertion is baked).

    Raises:
        ServiceError: the requested form does not exist for this award.
    """
    achievement = award.achievement
    image = achievement.image
    if image is None:
        source, kind = default_badge_svg(achievement.name, achievement.issuer.name), "svg"
    else:
        source, kind = bytes(image.data), image.extension
    if image_format != kind:
        raise ServiceError(f"this badge's image is {kind.upper()}, not {image_format.upper()}")
    if ob_version == "2.0":
        if not award.ob2_assertion_jws:
            raise ServiceError("this award has no OB 2.0 form (no email address on record)")
        text = award.ob2_assertion_jws
    elif proof == "jwt":
        if not award.credential_jwt:
            raise ServiceError("this award has no VC-JWT form")
        text = award.credential_jwt
    else:
        text = json.dumps(award.credential, ensure_ascii=False, separators=(",", ":"))
    data = bake_png(source, text, ob_version=ob_version) if kind == "png" else bake_svg(source, text,
                                                                                         ob_version=ob_version)
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in achievement.name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "badge"
    suffix = "-ob2" if ob_version == "2.0" else ("-jwt" if proof == "jwt" else "")
    return BakedImage(data=data, content_type="image/png" if kind == "png" else "image/svg+xml",
                      filename=f"{slug}{suffix}.{kind}")
