"""Third-party initiated login (OIDC), LTI Core 1.3 §5.1.1 and 1EdTech Security Framework §5.1.1.

The platform sends ``iss``, ``login_hint``, ``target_link_uri`` (and usually ``client_id``,
``lti_message_hint``, ``lti_deployment_id``; Canvas also ``lti_storage_target``). We find the
registration, check that the target is one of our launch URLs, issue a single-use state and a nonce,
and send the browser to the platform's authorization endpoint.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.utils import timezone

from ..conf import tool_settings
from ..models import LtiOidcState, LtiRegistration


class LoginRejected(Exception):
    """Raise when a login initiation cannot go on; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoginStart:
    """A started login: where to send the browser, and how to bind the state to it."""

    state: LtiOidcState
    auth_url: str
    storage_target: str


def launch_url() -> str:
    """Return our redirect URI (registered with every platform)."""
    return f"{tool_settings.public_url}/lti/launch"


def is_our_target(url: str) -> bool:
    """Return True when ``url`` is one of our LTI launch targets (an open-redirect guard)."""
    ours = urlsplit(tool_settings.public_url)
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc) == (ours.scheme, ours.netloc) and \
        parts.path.startswith(ours.path.rstrip("/") + "/lti/") and not parts.fragment


def login_start(params: Mapping[str, str]) -> LoginStart:
    """Validate login initiation parameters and return the authorization redirect.

    Raises:
        LoginRejected: unknown or unapproved registration, foreign target, missing parameters.
    """
    iss = params.get("iss", "").strip()
    login_hint = params.get("login_hint", "")
    target = params.get("target_link_uri", "").strip()
    if not iss or not login_hint or not target:
        raise LoginRejected("login initiation needs iss, login_hint and target_link_uri")
    if len(login_hint) > 1000 or len(params.get("lti_message_hint", "")) > 2000:
        raise LoginRejected("login hints are too long")
    registrations = LtiRegistration.objects.select_related("platform").filter(platform__issuer=iss)
    client_id = params.get("client_id", "").strip()
    if client_id:
        registrations = registrations.filter(client_id=client_id)
    found = list(registrations[:2])
    if not found:
        raise LoginRejected(f"this tool is not registered with the platform {iss}", status=401)
    if len(found) > 1:
        raise LoginRejected("this platform has several registrations; the login must name its client_id")
    registration = found[0]
    if registration.status == LtiRegistration.Status.PENDING:
        raise LoginRejected("this registration of the tool is waiting for an administrator's approval", 403)
    if registration.status != LtiRegistration.Status.ACTIVE:
        raise LoginRejected("this registration of the tool has been disabled", status=403)
    if not is_our_target(target):
        raise LoginRejected("target_link_uri is not one of this tool's launch URLs", status=400)
    storage_target = params.get("lti_storage_target", "").strip()[:100]
    state = LtiOidcState.objects.create(
        state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), registration=registration,
        target_link_uri=target, storage_target=storage_target, login_hint=login_hint,
        lti_message_hint=params.get("lti_message_hint", ""), lti_deployment_id=params.get("lti_deployment_id", ""),
        expires_at=timezone.now() + timedelta(seconds=int(tool_settings.LTI_STATE_TTL)))
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": registration.client_id, "redirect_uri": launch_url(), "login_hint": login_hint,
             "state": state.state, "nonce": state.nonce}
    if state.lti_message_hint:
        query["lti_message_hint"] = state.lti_message_hint
    separator = "&" if "?" in registration.auth_login_url else "?"
    return LoginStart(state=state, auth_url=registration.auth_login_url + separator + urlencode(query),
                      storage_target=storage_target)


def restart_url(state: LtiOidcState) -> str:
    """Return our login URL with the original parameters (to open the launch in a new window)."""
    query = {"iss": state.registration.platform.issuer, "client_id": state.registration.client_id,
             "login_hint": state.login_hint, "target_link_uri": state.target_link_uri}
    if state.lti_message_hint:
        query["lti_message_hint"] = state.lti_message_hint
    if state.lti_deployment_id:
        query["lti_deployment_id"] = state.lti_deployment_id
    return f"{tool_settings.public_url}/lti/login?{urlencode(query)}"
