"""Bitstring status lists, one or more per issuer and purpose."""

import uuid

from django.db import models


class StatusList(models.Model):
    """The bits and the signed, published list credential (W3C Bitstring Status List).

    .. no_pii:
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey("lti_tool.Issuer", on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(max_length=16, default="revocation")
    size = models.PositiveIntegerField()
    bits = models.BinaryField()
    allocated = models.PositiveIntegerField(default=0)
    open_for_allocation = models.BooleanField(default=True)
    credential = models.JSONField(null=True, blank=True, help_text="Signed BitstringStatusListCredential")
    etag = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.purpose} list {self.uuid}"

    @property
    def public_id(self) -> str:
        return f"{self.issuer.base_url.rstrip('/')}/status/{self.uuid}"
