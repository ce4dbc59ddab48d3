"""Issuers and their signing keys."""

import uuid

from django.db import models

from ..conf import tool_settings


class Issuer(models.Model):
    """An issuing organization (OB 3.0 Profile); its id is ``{PUBLIC_URL}/issuers/{uuid}``.

    .. no_pii:
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    official = models.CharField(max_length=200, blank=True, help_text="Name of the official who authorizes awards")
    image = models.ForeignKey("lti_tool.StoredImage", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    base_url = models.URLField(max_length=300, help_text="Public base URL when the issuer was created; fixes its id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.base_url:
            self.base_url = tool_settings.public_url
        super().save(*args, **kwargs)

    @property
    def public_id(self) -> str:
        return f"{self.base_url.rstrip('/')}/issuers/{self.uuid}"


class SigningKey(models.Model):
    """A key of an issuer; the private half sealed under the KEK, the public half published forever.

    ``active`` keys sign new credentials; retired keys stay published so old credentials verify.

    .. no_pii:
    """

    ED25519 = "ed25519"
    RSA = "rsa"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    algorithm = models.CharField(max_length=16, choices=[(ED25519, "Ed25519"), (RSA, "RSA 2048+ (RS256)")])
    key_name = models.CharField(max_length=120, help_text="Last path segment of the key URL")
    public_key_pem = models.TextField()
    sealed_private_key = models.BinaryField()
    kek_id = models.CharField(max_length=16)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issuer", "algorithm", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "key_name"], name="signing_key_unique_name"),
            models.UniqueConstraint(fields=["issuer", "algorithm"], condition=models.Q(active=True),
                                    name="signing_key_one_active_per_algorithm"),
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.key_name} ({'active' if self.active else 'retired'})"

    @property
    def public_id(self) -> str:
        """The key's URL: verification method id (Ed25519) or JWS ``kid`` (RSA)."""
        return f"{self.issuer.public_id}/keys/{self.key_name}"


class RegistrarRole(models.Model):
    """A person who acts as registrar for an issuer: approves credentials, watches the feed.

    .. no_pii:
    """

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="registrar_roles")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="registrar_roles")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "issuer"], name="registrar_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} registrar of {self.issuer}"
