"""A hardened LTI 1.3 message launch, on pylti1p3's MessageLaunch.

pylti1p3 2.0.0 leaves gaps (research lti.md §1.2, §5.3): it does not check ``aud``/``azp``, accepts a
token without ``exp``, has no clock leeway and no maximum age, never consumes nonces (replays pass),
ignores ``target_link_uri``, never refetches the key set on an unknown ``kid``, and rejects Deep
Linking requests that do not accept ``ltiResourceLink``. This class runs its own validation order,
1EdTech Security Framework 1.0 §5.1.3 steps 1-9 plus the LTI claims:

1. parse (size-limited), ``alg`` must be RS256 and ``kid`` present;
2. registration by ``iss`` and client id (``aud``/``azp`` rules);
3. signature with the platform key for ``kid`` (refetched once if unknown);
4. ``exp``/``iat`` required with leeway, maximum age, ``nbf``;
5. LTI claims (version, message type, sub, roles, resource link / deep-linking settings);
6. ``target_link_uri`` is ours and the one the login named;
7. deployment known and active (unknown ones are parked as pending);
8. state single-use, nonce bound to it and consumed once (after the signature, so nobody can burn it).

Browser binding of the state (cookie or platform storage) is the view's job; see ``views/lti.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from django.db import IntegrityError, transaction
from django.utils import timezone
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.message_validators.resource_message import ResourceMessageValidator

from ..conf import tool_settings
from ..core.encoding import EncodingError, b64url_decode
from ..models import LtiDeployment, LtiOidcState, LtiRegistration, LtiUsedNonce
from . import claims as c
from .login import is_our_target
from .platform_keys import PlatformKeyError, platform_public_key
from .tool_config import DbToolConf

MAX_ID_TOKEN_BYTES = 64 * 1024


class LaunchRejected(Exception):
    """Raise when a launch is refused; ``code`` names the rule, ``status`` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class ValidatedLaunch:
    """What a validated id_token establishes."""

    registration: LtiRegistration
    deployment: LtiDeployment
    claims: dict[str, Any]
    state: LtiOidcState

    @property
    def message_type(self) -> str:
        return self.claims[c.MESSAGE_TYPE]


class _NoSession:
    """pylti1p3 wants a session service; nothing of ours lives in the Django session."""

    def __getattr__(self, name: str):
        raise AttributeError(f"the Django session is not used by LTI launches ({name})")


class HardenedMessageLaunch(MessageLaunch):
    """Validate an LTI launch POST (``id_token`` and ``state``) under stricter rules than pylti1p3."""

    def __init__(self, request, *, now: datetime | None = None) -> None:
        super().__init__(DjangoRequest(request, post_only=True), DbToolConf(), _NoSession(), _NoSession())
        self._now = now or timezone.now()

    def _get_request_param(self, key: str):
        return self._request.get_param(key)

    # pylti1p3 entry point, replaced: see the module docstring for the order.
    def validate(self) -> MessageLaunch:  # pragma: no cover - use validated() which returns our result
        raise NotImplementedError("use validated()")

    def validated(self) -> ValidatedLaunch:
        header, body = self._parse()
        registration, client_id = self._registration(body)
        self._check_signature(registration, header, client_id)
        self._check_times(body)
        self._check_message(body)
        state = self._state_record(registration)
        self._check_target(body, state)
        deployment = self._deployment(registration, body)
        self._consume(state, body)
        self._registration = None
        self._validated = True
        return ValidatedLaunch(registration=registration, deployment=deployment, claims=body, state=state)

    def _parse(self) -> tuple[dict[str, Any], dict[str, Any]]:
        token = self._get_request_param("id_token") or ""
        if not token:
            raise LaunchRejected("missing_id_token", "the launch has no id_token")
        if len(token) > MAX_ID_TOKEN_BYTES:
            raise LaunchRejected("too_large", "the id_token is too large")
        parts = token.split(".")
        if len(parts) != 3:
            raise LaunchRejected("malformed", "the id_token is not a JWS (three parts)")
        try:
            header = json.loads(b64url_decode(parts[0]))
            body = json.loads(b64url_decode(parts[1]))
        except (EncodingError, ValueError, RecursionError):
            raise LaunchRejected("malformed", "the id_token cannot be decoded") from None
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRejected("malformed", "the id_token header and body must be JSON objects")
        if header.get("alg") != "RS256":
            raise LaunchRejected("bad_alg", f"id_token alg {header.get('alg')!r} is not accepted (RS256 only)")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise LaunchRejected("no_kid", "the id_token header has no kid")
        self._jwt = {"header": header, "body": body}
        self._id_token = token
        return header, body

    def _registration(self, body: Mapping[str, Any]) -> tuple[LtiRegistration, str]:
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise LaunchRejected("no_iss", "the id_token has no issuer")
        aud = body.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not audiences or not all(isinstance(a, str) for a in audiences):
            raise LaunchRejected("bad_aud", "the id_token has no audience")
        azp = body.get("azp")
        if len(audiences) > 1 and not azp:
            raise LaunchRejected("bad_aud", "several audiences and no azp: the token is not for us alone")
        client_id = azp if azp else audiences[0]
        if not isinstance(client_id, str) or client_id not in audiences:
            raise LaunchRejected("bad_azp", "azp is not one of the token's audiences")
        registration = (LtiRegistration.objects.select_related("platform")
                        .filter(platform__issuer=iss, client_id=client_id).first())
        if registration is None:
            raise LaunchRejected("unknown_registration", f"no registration for issuer {iss} and client {client_id}")
        # Security Framework §5.1.3 step 3: reject extra audiences the tool does not trust, even with azp;
        # the only trusted ones are our own other client ids at the same issuer.
        others = set(audiences) - {client_id}
        if others and others - set(LtiRegistration.objects.filter(platform__issuer=iss)
                                   .values_list("client_id", flat=True)):
            raise LaunchRejected("bad_aud", "the id_token is also addressed to an audience this tool does not trust")
        if registration.status != LtiRegistration.Status.ACTIVE:
            raise LaunchRejected("registration_inactive", "this registration is not active", status=403)
        return registration, client_id

    def _check_signature(self, registration: LtiRegistration, header: Mapping[str, Any], client_id: str) -> None:
        try:
            key = platform_public_key(registration, header["kid"])
        except PlatformKeyError as error:
            raise LaunchRejected("unknown_kid", str(error)) from error
        try:
            jwt.decode(self._id_token, key, algorithms=["RS256"], audience=client_id,
                       issuer=registration.platform.issuer, leeway=int(tool_settings.LTI_LEEWAY),
                       options={"require": ["exp", "iat", "iss", "aud", "nonce"], "verify_aud": True})
        except jwt.ExpiredSignatureError:
            raise LaunchRejected("expired", "the id_token has expired") from None
        except jwt.ImmatureSignatureError:
            raise LaunchRejected("not_yet_valid", "the id_token is not valid yet (iat or nbf in the future)") from None
        except jwt.MissingRequiredClaimError as error:
            raise LaunchRejected("missing_claim", f"the id_token lacks {error.claim!r}") from None
        except jwt.InvalidSignatureError:
            raise LaunchRejected("bad_signature", "the id_token signature does not verify") from None
        except jwt.InvalidTokenError as error:
            raise LaunchRejected("invalid_token", f"the id_token is not acceptable: {error}") from None

    def _check_times(self, body: Mapping[str, Any]) -> None:
        iat = body.get("iat")
        if not isinstance(iat, int | float):
            raise LaunchRejected("missing_claim", "iat must be a number")
        age = (self._now - datetime.fromtimestamp(iat, tz=self._now.tzinfo)).total_seconds()
        if age > int(tool_settings.LTI_MAX_TOKEN_AGE):
            raise LaunchRejected("too_old", f"the id_token was issued {int(age)} s ago; launches must be fresh")

    def _check_message(self, body: Mapping[str, Any]) -> None:
        if body.get(c.VERSION) != "1.3.0":
            raise LaunchRejected("bad_version", f"LTI version {body.get(c.VERSION)!r} is not 1.3.0")
        message_type = body.get(c.MESSAGE_TYPE)
        if not message_type:
            raise LaunchRejected("missing_claim", "the id_token has no message_type")
        if message_type not in c.SUPPORTED_MESSAGES:
            raise LaunchRejected("unsupported_message", f"this tool does not handle {message_type!r} messages")
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise LaunchRejected("missing_claim", "the launch needs a user (sub)")
        if not isinstance(body.get(c.ROLES), list):
            raise LaunchRejected("missing_claim", "the launch needs a roles claim (it may be empty)")
        if not isinstance(body.get(c.DEPLOYMENT_ID), str) or not body[c.DEPLOYMENT_ID]:
            raise LaunchRejected("missing_claim", "the launch needs a deployment_id")
        if message_type == c.RESOURCE_LINK_REQUEST:
            try:
                ResourceMessageValidator().validate(dict(body))
            except LtiException as error:
                raise LaunchRejected("missing_claim", f"the resource link launch is incomplete: {error}") from None
            link = body.get(c.RESOURCE_LINK)
            if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
                raise LaunchRejected("missing_claim", "the launch needs a resource_link with an id")
        else:
            settings = body.get(c.DL_SETTINGS)
            if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
                raise LaunchRejected("missing_claim", "the deep linking request has no deep_link_return_url")

    def _state_record(self, registration: LtiRegistration) -> LtiOidcState:
        value = self._get_request_param("state") or ""
        state = LtiOidcState.objects.filter(state=value).first() if value else None
        if state is None:
            raise LaunchRejected("bad_state", "the launch state was not issued by this tool")
        if state.registration_id != registration.pk:
            raise LaunchRejected("bad_state", "the launch state belongs to another registration")
        if state.used_at is not None:
            raise LaunchRejected("replay", "this launch was already used")
        if state.expires_at <= self._now:
            raise LaunchRejected("bad_state", "the login took too long; start again from the course")
        return state

    def _check_target(self, body: Mapping[str, Any], state: LtiOidcState) -> None:
        target = body.get(c.TARGET_LINK_URI)
        if not isinstance(target, str) or not is_our_target(target):
            raise LaunchRejected("bad_target", "target_link_uri is missing or not this tool")
        if target.rstrip("/") != state.target_link_uri.rstrip("/"):
            raise LaunchRejected("bad_target", "target_link_uri differs from the one the login named")

    def _deployment(self, registration: LtiRegistration, body: Mapping[str, Any]) -> LtiDeployment:
        deployment_id = body[c.DEPLOYMENT_ID]
        try:
            with transaction.atomic():
                deployment, created = LtiDeployment.objects.get_or_create(registration=registration,
                                                                          deployment_id=deployment_id)
        except IntegrityError:
            deployment, created = LtiDeployment.objects.get(registration=registration,
                                                            deployment_id=deployment_id), False
        if deployment.status == LtiDeployment.Status.ACTIVE:
            return deployment
        if deployment.status == LtiDeployment.Status.DISABLED:
            raise LaunchRejected("deployment_disabled", "this deployment of the tool has been disabled", 403)
        raise LaunchRejected("deployment_pending", "this deployment of the tool is waiting for an administrator's "
                             "approval" + (" (first seen just now)" if created else ""), 403)

    def _consume(self, state: LtiOidcState, body: Mapping[str, Any]) -> None:
        if body.get("nonce") != state.nonce:
            raise LaunchRejected("bad_nonce", "the id_token nonce is not the one issued with this state")
        expires = self._now + timedelta(seconds=int(tool_settings.LTI_MAX_TOKEN_AGE) * 2)
        with transaction.atomic():
            if LtiOidcState.objects.filter(pk=state.pk, used_at__isnull=True).update(used_at=self._now) != 1:
                raise LaunchRejected("replay", "this launch was already used")
            try:
                with transaction.atomic():
                    LtiUsedNonce.objects.create(issuer=body["iss"], nonce=body["nonce"], expires_at=expires)
            except IntegrityError:
                raise LaunchRejected("replay", "this id_token was already used") from None
