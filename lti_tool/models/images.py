"""Badge and issuer images, kept in the database so baking never depends on a file store."""

import uuid

from django.db import models


class StoredImage(models.Model):
    """A checked PNG or sanitized SVG image.

    .. no_pii:
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.CharField(max_length=32, choices=[("image/png", "PNG"), ("image/svg+xml", "SVG")])
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.content_type} {self.uuid}"

    @property
    def extension(self) -> str:
        return "svg" if self.content_type == "image/svg+xml" else "png"
