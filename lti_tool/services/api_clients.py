"""API clients: create them, issue tokens (OAuth 2.0 client credentials), authenticate requests.

An adapter's client acts for one deployment (tenant); a registrar's client (the SIS reading the
feed) acts for one issuer. A client authenticates in one of three ways:

* ``client_secret_basic`` / ``client_secret_post`` at ``/api/v1/oauth/token`` (RFC 6749 §4.4), for a
  bearer token that lasts ``TOKEN_LIFETIME``;
* ``private_key_jwt`` at the same endpoint (RFC 7523 §2.2): a JWT it signs (RS256 or EdDSA) with
  ``iss`` = ``sub`` = its client id, ``aud`` = the token URL;
* a signed JWT as the bearer token of each request (``aud`` = the API base URL).

Signed JWTs must expire within ``MAX_JWT_LIFETIME`` and carry a ``jti`` that is used only once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import tool_settings
from ..models import ApiClient, ApiJwtUse, ApiToken, Issuer, LtiDeployment
from .errors import ServiceError

SCOPES = ("facts:write", "badges:read")
REGISTRAR_SCOPES = ("registrar:feed",)
TOKEN_LIFETIME = timedelta(hours=1)
MAX_JWT_LIFETIME = timedelta(minutes=5)
LEEWAY = timedelta(seconds=30)
ALGORITHMS = ["RS256", "EdDSA"]


class ApiAuthError(ServiceError):
    """Raise when a client cannot be authenticated; ``error`` is the OAuth 2.0 error code."""

    def __init__(self, message: str, *, error: str = "invalid_client", status: int = 401) -> None:
        super().__init__(message)
        self.error, self.status = error, status


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    secret: str  # shown once


@dataclass(frozen=True)
class Caller:
    """An authenticated request: the client and the scopes it holds for this request."""

    client: ApiClient
    scopes: frozenset[str]


def api_base_url() -> str:
    return f"{tool_settings.public_url}/api/v1"


def api_token_url() -> str:
    return f"{api_base_url()}/oauth/token"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def api_client_create(*, deployment: LtiDeployment | None = None, issuer: Issuer | None = None, name: str,
                      scopes: Iterable[str] | None = None, public_jwk: dict | None = None) -> NewClient:
    """Create a client for a tenant (adapter) or issuer (registrar's system); return it and its secret.

    The secret is kept only as a hash.

    Raises:
        ServiceError: not exactly one of deployment and issuer, unknown scope, empty name, or a
            public key that is not an RSA/Ed25519 JWK.
    """
    if (deployment is None) == (issuer is None):
        raise ServiceError("a client acts for a deployment or for an issuer")
    allowed = SCOPES if deployment is not None else REGISTRAR_SCOPES
    scopes = sorted(set(allowed if scopes is None else scopes))
    unknown = set(scopes) - set(allowed)
    if unknown or not scopes:
        raise ServiceError(f"scopes must be among {', '.join(allowed)}")
    if not name.strip() or len(name) > 100:
        raise ServiceError("a client needs a name of at most 100 characters")
    if public_jwk is not None:
        _public_key(public_jwk)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(deployment=deployment, issuer=issuer, name=name.strip(), scopes=scopes,
                                      secret_sha256=_sha256(secret), public_jwk=public_jwk)
    return NewClient(client, secret)


def _usable(client: ApiClient) -> bool:
    if not client.active:
        return False
    return client.deployment is None or client.deployment.status == LtiDeployment.Status.ACTIVE


def _public_key(jwk: dict):
    if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "OKP") or "d" in jwk:
        raise ServiceError("the public key must be an RSA or Ed25519 public JWK (no private part)")
    try:
        return jwt.PyJWK(jwk).key
    except (jwt.PyJWKError, ValueError, TypeError) as error:
        raise ServiceError(f"the public key is not a usable JWK: {error}") from None


def _client(client_id: str) -> ApiClient:
    try:
        wanted = uuid.UUID(str(client_id))
    except ValueError:
        raise ApiAuthError("unknown client") from None
    client = (ApiClient.objects.select_related("deployment", "issuer").filter(client_id=wanted, active=True).first())
    if client is None or not _usable(client):
        raise ApiAuthError("unknown or disabled client")
    return client


def api_token_issue(*, client_id: str | None, client_secret: str | None, client_assertion: str | None,
                    scope: str | None, now: datetime | None = None) -> tuple[str, ApiToken]:
    """Issue a bearer token for client credentials (secret or signed assertion); return (token, record).

    Raises:
        ApiAuthError: unknown client, wrong secret, bad assertion, or a scope the client lacks.
    """
    now = now or timezone.now()
    if client_assertion:
        client = _verified_jwt(client_assertion, audience=api_token_url(), now=now)
        if client_id and str(client.client_id) != client_id:
            raise ApiAuthError("client_id does not match the assertion")
    else:
        if not client_id or not client_secret:
            raise ApiAuthError("send client_id and client_secret, or a client_assertion")
        client = _client(client_id)
        if not client.secret_sha256 or not hmac.compare_digest(client.secret_sha256, _sha256(client_secret)):
            raise ApiAuthError("wrong client secret")
    wanted = set(scope.split()) if scope else set(client.scopes)
    if not wanted <= set(client.scopes):
        raise ApiAuthError(f"scope not allowed for this client: {' '.join(sorted(wanted - set(client.scopes)))}",
                           error="invalid_scope", status=400)
    token = secrets.token_urlsafe(32)
    record = ApiToken.objects.create(token_sha256=_sha256(token), client=client, scopes=sorted(wanted),
                                     expires_at=now + TOKEN_LIFETIME)
    return token, record


def api_request_authenticate(*, authorization: str, now: datetime | None = None) -> Caller:
    """Return who is calling from an ``Authorization: Bearer`` header (an issued token or a signed JWT).

    Raises:
        ApiAuthError: missing, unknown, expired or replayed credentials.
    """
    now = now or timezone.now()
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 8192:
        raise ApiAuthError("send Authorization: Bearer <token>", error="invalid_token")
    if value.count(".") == 2:
        client = _verified_jwt(value, audience=api_base_url(), now=now)
        return Caller(client, frozenset(client.scopes))
    record = (ApiToken.objects.select_related("client__deployment", "client__issuer")
              .filter(token_sha256=_sha256(value)).first())
    if record is None or record.expires_at <= now:
        raise ApiAuthError("unknown or expired token", error="invalid_token")
    client = record.client
    if not _usable(client):
        raise ApiAuthError("the client is disabled", error="invalid_token")
    return Caller(client, frozenset(record.scopes))


def _verified_jwt(token: str, *, audience: str, now: datetime) -> ApiClient:
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ApiAuthError("the JWT cannot be read") from None
    if header.get("alg") not in ALGORITHMS:
        raise ApiAuthError(f"the JWT must be signed with {' or '.join(ALGORITHMS)}")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or unverified.get("sub") != issuer:
        raise ApiAuthError("the JWT needs iss and sub equal to the client id")
    client = _client(issuer)
    if not client.public_jwk:
        raise ApiAuthError("this client has no public key registered")
    try:
        claims = jwt.decode(token, _public_key(client.public_jwk), algorithms=ALGORITHMS, audience=audience,
                            leeway=LEEWAY, options={"require": ["exp", "iat", "jti", "aud"]})
    except jwt.PyJWTError as error:
        raise ApiAuthError(f"the JWT is not valid: {error}") from None
    issued = datetime.fromtimestamp(claims["iat"], tz=now.tzinfo)
    expires = datetime.fromtimestamp(claims["exp"], tz=now.tzinfo)
    if expires - issued > MAX_JWT_LIFETIME or issued > now + LEEWAY:
        raise ApiAuthError(f"the JWT must be issued now and expire within {MAX_JWT_LIFETIME.seconds // 60} minutes")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise ApiAuthError("the JWT needs a jti")
    try:
        with transaction.atomic():
            ApiJwtUse.objects.create(client=client, jti=jti, expires_at=expires + LEEWAY)
    except IntegrityError:
        raise ApiAuthError("this JWT was already used (jti replayed)") from None
    return client


def api_auth_cleanup(*, now: datetime | None = None) -> int:
    """Delete expired tokens and spent JWT ids; return how many rows went."""
    now = now or timezone.now()
    return ApiToken.objects.filter(expires_at__lt=now).delete()[0] + \
        ApiJwtUse.objects.filter(expires_at__lt=now).delete()[0]


def describe_client(new: NewClient) -> str:
    """Return the client's settings as JSON, for the admin who pastes them into the adapter."""
    return json.dumps({"client_id": str(new.client.client_id), "client_secret": new.secret,
                       "token_url": api_token_url(), "api_base_url": api_base_url(),
                       "scopes": new.client.scopes}, indent=2)
