"""An LTI 1.3 platform for tests, built on independent code: PyPI ``lti1p3platform`` (OpenLearning).

The platform has its own RSA key, serves its JWKS over real HTTP on loopback (our tool fetches it like
any key set), and drives the OIDC exchange against our views: login initiation → authorization (the
id_token is built and RS256-signed by lti1p3platform) → launch POST. Negative tests take the claims
lti1p3platform produced and change one thing before signing (``mutate``) or sign with another key.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
    """Serve a JWKS (mutable) over HTTP on 127.0.0.1; count fetches."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}
        self.fetches = 0
        self.cache_control = "max-age=3600"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                body = json.dumps(outer.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
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

    def __post_init__(self) -> None:
        if not self.private_pem:
            self.private_pem, self.public_pem = new_rsa_key()
        self.publish()

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/auth"

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

        platform, _ = LtiPlatform.objects.get_or_create(issuer=self.issuer, defaults={"name": self.family})
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
             algorithm: str = "RS256", lifetime: int = 300) -> str:
        """Sign claims as the platform (iat/exp added unless present)."""
        import time

        body = dict(claims)
        now = int(time.time())
        body.setdefault("iat", now)
        body.setdefault("exp", now + lifetime)
        return jwt.encode(body, key_pem or self.private_pem, algorithm=algorithm,
                          headers={"kid": self.kid, **(headers or {})})

    def launch(self, client, *, sub: str = "user-1", roles: list[str] | None = None,
               target: str = "http://testserver/lti/launch", mutate: Callable[[dict[str, Any]], None] | None = None,
               sign: Callable[[dict[str, Any]], str] | None = None, cookie: bool = True,
               login_extra: dict[str, str] | None = None, **claim_options: Any) -> LaunchResult:
        """Run login → authorize → launch against our tool through Django's test client."""
        login = client.post("/lti/login", {"iss": self.issuer, "login_hint": sub, "target_link_uri": target,
                                           "client_id": self.client_id, "lti_message_hint": "hint-1",
                                           "lti_deployment_id": self.deployment_id, **(login_extra or {})})
        if login.status_code != 302:
            return LaunchResult(login=login, response=login)
        query = dict(parse_qsl(urlsplit(login["Location"]).query))
        claims = self.claims(query, sub=sub, roles=roles if roles is not None else [LEARNER], target=target,
                             **claim_options)
        if mutate:
            mutate(claims)
        token = sign(claims) if sign else self.sign(claims)
        if cookie:
            name, _, rest = login["Set-Cookie"].partition("=")
            client.cookies[name] = rest.split(";", 1)[0]
        response = client.post("/lti/launch", {"id_token": token, "state": query["state"]})
        return LaunchResult(login=login, response=response, claims=claims, token=token)
