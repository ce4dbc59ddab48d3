"""Clients of the adapter API (the Open edX XBlock, the Moodle bridge): who may post facts for a tenant."""

from __future__ import annotations

import uuid

from django.db import models


class ApiClient(models.Model):
    """An adapter acting for a deployment (tenant) or a registrar's system acting for an issuer.

    It authenticates by client secret or by JWTs it signs.

    Only the SHA-256 of the secret is kept (the secret is 32 random bytes, shown once). ``public_jwk``
    holds the client's public key (RSA or Ed25519) for ``private_key_jwt`` assertions and signed
    bearer JWTs.

    .. no_pii:
    """

    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    deployment = models.ForeignKey("lti_tool.LtiDeployment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="api_clients")
    # A registrar's client (the SIS pulling the feed) acts for an issuer instead of a deployment.
    issuer = models.ForeignKey("lti_tool.Issuer", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="api_clients")
    name = models.CharField(max_length=100, help_text="Shown as the source of the facts it posts")
    secret_sha256 = models.CharField(max_length=64, blank=True)
    public_jwk = models.JSONField(null=True, blank=True)
    scopes = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class ApiToken(models.Model):
    """A bearer token issued by ``/api/v1/oauth/token``; only its SHA-256 is kept.

    .. no_pii:
    """

    token_sha256 = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class ApiJwtUse(models.Model):
    """A client JWT's ``jti``, kept until the JWT expires so it cannot be replayed.

    .. no_pii:
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="api_jwt_use_unique")]

    def __str__(self) -> str:
        return f"jti {self.jti} of {self.client_id}"
