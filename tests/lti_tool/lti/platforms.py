"""An LTI 1.3 platform for tests, built on independent code: PyPI ``lti1p3platform`` (OpenLearning).

The platform has its own RSA key, serves its JWKS over real HTTP on loopback (our tool fetches it like
any key set), and drives the OIDC exchange against our views: login initiation → authorization (the
id_token is built and RS256-signed by lti1p3platform) → launch POST. Negative tests take the claims
lti1p3platform produced and change one thing before signing (``mutate``) or sign with another key.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"


def new_rsa_key() -> tuple[str, str]:
    """Return (private PEM, public PEM) of a fresh RSA 2048 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class JwksServer:
    """Serve a JWKS (mutable) over HTTP on 127.0.0.1; count fetches.

    ``status``, ``body`` and ``content_type`` make it misbehave (an HTML error page, a 500) the way a
    broken LMS does; ``body=None`` serves ``jwks`` as JSON.
    """

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}
        self.fetches = 0
        self.cache_control = "max-age=3600"
        self.status = 200
        self.body: bytes | None = None
        self.content_type = "application/json"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                body = outer.body if outer.body is not None else json.dumps(outer.jwks).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", outer.content_type)
                self.send_header("Cache-Control", outer.cache_control)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/jwks"

    def close(self) -> None:
        self._httpd.shutdown()


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Launch(LTIAdvantageMessageLaunchAbstract):
    preflight: dict[str, Any] = {}

    def get_preflight_response(self) -> dict[str, Any]:
        return self.preflight

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


@dataclass
class LaunchResult:
    """What a full OIDC + launch exchange produced."""

    login: Any
    response: Any
    claims: dict[str, Any] = field(default_factory=dict)
    token: str = ""


@dataclass
class Platform:
    """One emulated LMS: issuer, client id, deployment, keys and JWKS server."""

    issuer: str
    client_id: str
    deployment_id: str
    jwks_server: JwksServer
    family: str = "moodle"
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    private_pem: str = ""
    public_pem: str = ""
    authorization_url: str = ""  # the OIDC authorization endpoint, when not on the issuer's host (Canvas)

    def __post_init__(self) -> None:
        if not self.private_pem:
            self.private_pem, self.public_pem = new_rsa_key()
        self.publish()

    @property
    def auth_url(self) -> str:
        return self.authorization_url or f"{self.issuer}/auth"

    def jwk(self, *, with_alg: bool = True) -> dict[str, Any]:
        jwk = json.loads(JWK.from_pem(self.public_pem.encode()).export_public())
        jwk.update({"kid": self.kid, "use": "sig"})
        if with_alg:
            jwk["alg"] = "RS256"
        return jwk

    def publish(self, *, with_alg: bool = True) -> None:
        self.jwks_server.jwks = {"keys": [self.jwk(with_alg=with_alg)]}

    def rotate(self) -> None:
        """Replace the key and kid (Brightspace rotates hourly); publish only the new key."""
        self.private_pem, self.public_pem = new_rsa_key()
        self.kid = uuid.uuid4().hex[:20]
        self.publish()

    def register(self, *, status: str = "active"):
        """Create our registration and (active) deployment for this platform; return the deployment."""
        from lti_tool.models import LtiPlatform, LtiRegistration

        family = self.family if self.family in LtiPlatform.Family.values else LtiPlatform.Family.OTHER
        platform, _ = LtiPlatform.objects.get_or_create(issuer=self.issuer,
                                                        defaults={"name": self.family, "family": family})
        registration, _ = LtiRegistration.objects.get_or_create(
            platform=platform, client_id=self.client_id,
            defaults={"status": status, "auth_login_url": self.auth_url, "auth_token_url": f"{self.issuer}/token",
                      "key_set_url": self.jwks_server.url})
        return registration

    def lti1p3_registration(self, launch_url: str) -> Registration:
        return (Registration().set_iss(self.issuer).set_client_id(self.client_id)
                .set_deployment_id(self.deployment_id).set_launch_url(launch_url)
                .set_oidc_login_url("") .set_platform_public_key(self.public_pem)
                .set_platform_private_key(self.private_pem))

    def validate_deep_linking_response(self, token: str, *, tool_jwks_url: str,
                                       accepted_types: list[str] | None = None) -> list[dict[str, Any]]:
        """Check a tool's LtiDeepLinkingResponse as lti1p3platform does; return its content items.

        lti1p3platform fetches the tool key set from ``tool_jwks_url`` (over HTTP) and checks the
        signature, the message type and the content item types.
        """
        registration = self.lti1p3_registration("").set_tool_key_set_url(tool_jwks_url)
        conf = _Conf(registration=registration)
        conf.get_registration()
        if accepted_types is not None:
            conf.set_accepted_deeplinking_types(accepted_types)
        return conf.validate_deeplinking_resp({"JWT": token})

    def claims(self, preflight: dict[str, Any], *, sub: str, roles: list[str], target: str,
               message_type: str = "LtiResourceLinkRequest", context: dict[str, Any] | None = None,
               resource_link: str | None = "rl-1", custom: dict[str, str] | None = None, name: str = "Pat Learner",
               email: str = "pat@example.edu", dl_settings: dict[str, Any] | None = None,
               ags: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the id_token claims lti1p3platform builds for this launch (unsigned)."""
        registration = self.lti1p3_registration(target)
        launch = _Launch(None, _Conf(registration=registration))
        launch.preflight = preflight
        launch._registration = registration
        launch.set_user_data(sub, roles, full_name=name, email_address=email)
        if message_type == "LtiResourceLinkRequest" and resource_link:
            launch.set_resource_link_claim(resource_link)
        ctx = context if context is not None else {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}
        if ctx:
            launch.set_launch_context_claim(ctx["id"], context_title=ctx.get("title"),
                                            context_label=ctx.get("label"))
        if custom:
            launch.set_custom_parameters_claim(custom)
        if message_type == "LtiDeepLinkingRequest":
            settings = dl_settings or {"deep_link_return_url": f"{self.issuer}/dl-return",
                                       "accept_types": ["ltiResourceLink"],
                                       "accept_presentation_document_targets": ["iframe", "window"],
                                       "data": "opaque-42"}
            launch.set_extra_claims({"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": settings})
        if ags:
            launch.set_extra_claims({"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags})
        claims, _state = launch.get_launch_data()
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] = message_type
        claims["https://purl.imsglobal.org/spec/lti/claim/tool_platform"] = {"product_family_code": self.family}
        return claims

    def sign(self, claims: dict[str, Any], *, key_pem: str | None = None, headers: dict[str, Any] | None = None,
             algorithm: str = "RS256", lifetime: int = 300, omit: Iterable[str] = ()) -> str:
        """Sign claims as the platform (iat/exp added unless present; names in ``omit`` left out)."""
        body = dict(claims)
        now = int(time.time())
        body.setdefault("iat", now)
        body.setdefault("exp", now + lifetime)
        for name in omit:
            body.pop(name, None)
        return jwt.encode(body, key_pem or self.private_pem, algorithm=algorithm,
                          headers={"kid": self.kid, **(headers or {})})

    def start_login(self, client, *, sub: str = "user-1", target: str = "http://testserver/lti/launch",
                    login_extra: dict[str, str] | None = None):
        """Send the login initiation; return (response, authorization query or None when refused).

        A redirect carries the authorization request in its Location; the platform-storage page
        (``lti_storage_target``) carries it in its ``lti-auth`` script, which a browser follows once the
        platform frame has stored the state.
        """
        login = client.post("/lti/login", {"iss": self.issuer, "login_hint": sub, "target_link_uri": target,
                                           "client_id": self.client_id, "lti_message_hint": "hint-1",
                                           "lti_deployment_id": self.deployment_id, **(login_extra or {})})
        if login.status_code == 302:
            return login, dict(parse_qsl(urlsplit(login["Location"]).query))
        auth_url = json_script(login.content.decode(), "lti-auth") if login.status_code == 200 else None
        if not auth_url:
            return login, None
        return login, dict(parse_qsl(urlsplit(auth_url).query))

    def launch(self, client, *, sub: str = "user-1", roles: list[str] | None = None,
               target: str = "http://testserver/lti/launch", mutate: Callable[[dict[str, Any]], None] | None = None,
               sign: Callable[[dict[str, Any]], str] | None = None, cookie: bool = True,
               login_extra: dict[str, str] | None = None, launch_extra: dict[str, str] | None = None,
               **claim_options: Any) -> LaunchResult:
        """Run login → authorize → launch against our tool through Django's test client.

        ``launch_extra`` adds form fields to the launch POST (Canvas repeats ``lti_storage_target``).
        """
        login, query = self.start_login(client, sub=sub, target=target, login_extra=login_extra)
        if query is None:
            return LaunchResult(login=login, response=login)
        claims = self.claims(query, sub=sub, roles=roles if roles is not None else [LEARNER], target=target,
                             **claim_options)
        if mutate:
            mutate(claims)
        token = sign(claims) if sign else self.sign(claims)
        if cookie and login.has_header("Set-Cookie"):
            name, _, rest = login["Set-Cookie"].partition("=")
            client.cookies[name] = rest.split(";", 1)[0]
        response = client.post("/lti/launch", {"id_token": token, "state": query["state"], **(launch_extra or {})})
        return LaunchResult(login=login, response=response, claims=claims, token=token)


def json_script(html: str, element_id: str) -> Any:
    """Return the value of a Django ``json_script`` element in a page, or None when absent."""
    match = re.search(rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else None


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields, self.action = form_id, False, {}, ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == self.form_id:
            self.inside, self.action = True, attributes.get("action") or ""
        elif tag == "input" and self.inside and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str) -> tuple[str, dict[str, str]]:
    """Return (action, {name: value}) of the inputs of the form with ``form_id`` in a page."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.action, parser.fields


def storage_check_form(html: str) -> dict[str, str]:
    """Return the fields of the storage check page's launch form (what its script posts back)."""
    return form_fields(html, "launch")[1]


def complete_storage_check(client, login, check, *, value: str | None = None):
    """Do what the platform frame and the check page's script do: read back the login's stored value, post it.

    ``login`` is the storage login page (it put ``lti-value`` into platform storage), ``check`` the launch's
    storage check page; ``value`` replaces what the platform storage returns.
    """
    from lti_tool.views.lti import STORAGE_PROOF_FIELD

    fields = storage_check_form(check.content.decode())
    assert STORAGE_PROOF_FIELD in fields, "the check page has no field for the platform storage value"
    stored = json_script(login.content.decode(), "lti-value") if value is None else value
    return client.post("/lti/launch", {**fields, STORAGE_PROOF_FIELD: stored})


def reason_code(response) -> str:
    """Return the LaunchRejected code an error page shows ("" when the page shows none)."""
    match = re.search(r"Reason code: <code>([a-z_]+)</code>", response.content.decode())
    return match.group(1) if match else ""
