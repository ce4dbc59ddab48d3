"""Resource limits applied before and while parsing untrusted badge images.

The numbers are policy, not spec: they bound memory and CPU spent on a single upload or verification.
"""

from __future__ import annotations

from .errors import BakingError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Largest PNG or SVG accepted as input, and largest image ``bake_*`` will produce."""

MAX_DIMENSION = 4096
"""Largest PNG width or height in pixels (IHDR)."""

MAX_TEXT_BYTES = 1024 * 1024
"""Largest embedded credential text, counted in UTF-8 bytes."""

MAX_SVG_ELEMENTS = 20_000
"""Most elements an SVG document may contain."""

MAX_SVG_NODES = 100_000
"""Most markup nodes (elements, attributes, comments, processing instructions, CDATA sections) an SVG may have."""

MAX_SVG_DEPTH = 64
"""Deepest element nesting an SVG document may have (the root element is depth 1)."""


def check_image_size(size: int, what: str = "image") -> None:
    """Reject an image of ``size`` bytes that is empty or above :data:`MAX_IMAGE_BYTES`."""
    if size == 0:
        raise BakingError(f"{what} is empty (0 bytes)")
    if size > MAX_IMAGE_BYTES:
        raise BakingError(f"{what} is {size} bytes; the limit is {MAX_IMAGE_BYTES} bytes")
