"""Bake Open Badges credentials into PNG and SVG images and read them back (OB 3.0 §5.3, OB 2.0 Baking).

Framework-free: standard library and defusedxml only. Every rejection raises :class:`BakingError`.
"""

from __future__ import annotations

from .detect import unbake
from .errors import BakingError, NotBakedError
from .limits import MAX_DIMENSION, MAX_IMAGE_BYTES, MAX_SVG_DEPTH, MAX_SVG_ELEMENTS, MAX_SVG_NODES, MAX_TEXT_BYTES
from .payload import BakedPayload
from .png import PngInfo, bake_png, check_png, unbake_png
from .svg import bake_svg, sanitize_svg, unbake_svg

__all__ = [
    "MAX_DIMENSION",
    "MAX_IMAGE_BYTES",
    "MAX_SVG_DEPTH",
    "MAX_SVG_ELEMENTS",
    "MAX_SVG_NODES",
    "MAX_TEXT_BYTES",
    "BakedPayload",
    "BakingError",
    "NotBakedError",
    "PngInfo",
    "bake_png",
    "bake_svg",
    "check_png",
    "sanitize_svg",
    "unbake",
    "unbake_png",
    "unbake_svg",
]
