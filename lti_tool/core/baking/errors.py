"""Errors raised by the baking package.

Every rejection of an image, a payload or an argument is a :class:`BakingError`, so callers handle
one exception type and show its message to the person who uploaded or submitted the image.
"""

from __future__ import annotations


class BakingError(ValueError):
    """Raise when an image cannot be baked or unbaked; the message is safe to show to a user."""


class NotBakedError(BakingError):
    """Raise when a well-formed image carries no Open Badges credential."""
