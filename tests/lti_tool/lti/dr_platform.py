"""The LMS side of LTI Dynamic Registration 1.0, over real HTTP on 127.0.0.1, for tests.

It follows the spec (https://www.imsglobal.org/spec/lti-dr/v1p0): it hands out a registration token
and the URL of its OpenID configuration (§3.3), serves that configuration (§3.4), checks the bearer
token and our client registration on POST against the spec's required members (§3.1, §3.2), and
answers with a ``client_id`` (§3.5). Three modes copy what the real platforms do:

* ``moodle``: the configuration is the one recorded from Moodle 5.1
  (``tests/fixtures/moodle/lti/dynamic_registration/``) with only the host changed, served
  without a token check, as Moodle does. The token is an RS256 JWT ``{sub: <new client_id>, scope:
  "reg", iat, exp: iat+3600}`` (Moodle ``startltiadvregistration.php``); a second registration with it
  gets 401 ``token_already_used``. Errors are plain-text bodies (``missing required attribute X``,
  ``invalid_response_types``…; Moodle ``openid-registration.php`` / ``registration_helper.php``). The
  answer has Moodle's recorded shape: reordered scope and claims, ``logo_uri ""``, and
  ``deployment_id`` (the tool type id, as a string) with ``version`` and ``description`` in the tool
  configuration.
* ``canvas``: the configuration of canvas-lms ``doc/api/registration.md`` (placements per message,
  ``authorization_server`` as a bare host), served only with ``Authorization: Bearer <token>``; the
  configuration URL also carries the token as a query parameter (``DynamicRegistrationController``).
  A bad registration gets **422** ``{"errors": [{"field", "message"}]}``; scopes outside
  ``scopes_supported`` are refused. The answer has a numeric-string ``client_id`` and no
  ``deployment_id`` (Canvas makes the deployment when the app is installed).
* ``brightspace``: what D2L documents (Brightspace "Dynamic Registration" and "Register an external
  learning tool" pages): the token is single-use; tool URLs must be https; a domain can be in only
  one registration; the answer carries a GUID ``deployment_id``; token endpoint and OAuth audience
  are D2L's global ones. Spec-style 400 ``{error, error_description}`` errors. URL paths here are
  illustrative; Brightspace's own are not documented publicly.

Knobs let tests make the platform misbehave: a changed configuration, a raw answer (status, type,
body), a delay, or a ``client_id`` it already gave out.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

from tests.fixtures import MOODLE_FIXTURES

from .platforms import new_rsa_key

FIXTURES = MOODLE_FIXTURES / "lti" / "dynamic_registration"
RECORDED_ISSUER = "http://127.0.0.1:8500"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
DELETE = object()  # in ``configuration_changes``: remove the member

PATHS = {
    "moodle": {"configuration": "/mod/lti/openid-configuration.php", "registration": "/mod/lti/openid-registration.php",
               "jwks": "/mod/lti/certs.php", "auth": "/mod/lti/auth.php"},
    "canvas": {"configuration": "/api/lti/security/openid-configuration", "registration": "/api/lti/registrations",
               "jwks": "/api/lti/security/jwks", "auth": "/api/lti/authorize_redirect"},
    "brightspace": {"configuration": "/d2l/lti/dynamic-registration/openid-configuration",
                    "registration": "/d2l/lti/dynamic-registration/register", "jwks": "/d2l/.well-known/jwks",
                    "auth": "/d2l/lti/authenticate"},
}
CANVAS_PLACEMENTS = {
    "LtiResourceLinkRequest": ["account_navigation", "assignment_edit", "assignment_menu", "course_navigation",
                               "editor_button", "global_navigation", "link_selection", "module_menu",
                               "user_navigation", "wiki_page_menu"],
    "LtiDeepLinkingRequest": ["assignment_selection", "collaboration", "conference_selection", "editor_button",
                              "homework_submission", "link_selection", "migration_selection",
                              "module_index_menu_modal", "module_menu_modal", "submission_type_selection"],
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class DrPlatform:
    """One LMS doing Dynamic Registration: serves its configuration, registration endpoint and JWKS.

    It also stands in for ``platforms.JwksServer`` (``jwks`` and ``url``), so a ``platforms.Platform``
    built on it publishes its launch key where this configuration's ``jwks_uri`` points.
    """

    def __init__(self, mode: str = "moodle") -> None:
        if mode not in PATHS:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.paths = PATHS[mode]
        self._private_pem, self._public_pem = new_rsa_key()
        self._kid = secrets.token_hex(10)
        self.jwks: dict[str, Any] = {"keys": []}
        self.requests: list[dict[str, Any]] = []
        self.tokens: dict[str, dict[str, Any]] = {}
        self.registered: list[dict[str, Any]] = []  # accepted request bodies
        self.answers: list[dict[str, Any]] = []     # what we answered them
        self._client_ids: set[str] = set()
        self._domains: set[str] = set()
        self._type_id = 2
        # Misbehaviour knobs.
        self.configuration_changes: dict[str, Any] = {}
        self.configuration_raw: tuple[int, str, bytes] | None = None
        self.registration_raw: tuple[int, str, bytes] | None = None
        self.create_deployment = True  # Brightspace: the admin may let the tool create the deployment
        self.next_client_id: str | None = None  # answer the next registration with this client id
        self.delays: dict[str, float] = {}  # seconds before answering: "configuration", "registration"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer._serve(self, "GET")

            def do_POST(self):
                outer._serve(self, "POST")

            def log_message(self, *args):
                pass

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # --- what the LMS hands the tool ---

    @property
    def issuer(self) -> str:
        return self.base

    @property
    def url(self) -> str:
        """JWKS URL (``platforms.JwksServer`` compatibility)."""
        return self.base + self.paths["jwks"]

    def issue_token(self) -> str:
        """Return a new registration token, as the platform puts it in the initiation redirect."""
        now = int(time.time())
        if self.mode == "moodle":
            client_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                                for _ in range(15))
            token = jwt.encode({"sub": client_id, "scope": "reg", "iat": now, "exp": now + 3600},
                               self._private_pem, algorithm="RS256", headers={"kid": self._kid})
        else:
            token = secrets.token_urlsafe(32)
        self.tokens[token] = {"issued": now, "uses": 0}
        return token

    def configuration_url(self, token: str) -> str:
        url = self.base + self.paths["configuration"]
        return url + "?" + urlencode({"registration_token": token}) if self.mode == "canvas" else url

    def start(self, register_url: str, *, token: str | None = None) -> str:
        """Return where the LMS sends the administrator: our registration URL plus its two parameters."""
        token = token or self.issue_token()
        separator = "&" if "?" in register_url else "?"
        return register_url + separator + urlencode({"openid_configuration": self.configuration_url(token),
                                                     "registration_token": token})

    def configuration(self) -> dict[str, Any]:
        """Return the OpenID configuration this LMS serves (before ``configuration_changes``)."""
        if self.mode == "moodle":
            text = (FIXTURES / "openid_configuration.json").read_text()
            return json.loads(text.replace(RECORDED_ISSUER, self.base))
        if self.mode == "canvas":
            return {
                "issuer": self.base,
                "authorization_endpoint": self.base + self.paths["auth"],
                "registration_endpoint": self.base + self.paths["registration"],
                "jwks_uri": self.url,
                "token_endpoint": self.base + "/login/oauth2/token",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "scopes_supported": [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly",
                                     AGS + "score", NRPS, "https://canvas.instructure.com/lti/public_jwk/scope/update",
                                     "https://canvas.instructure.com/lti/account_lookup/scope/show",
                                     "https://canvas.instructure.com/lti-ags/progress/scope/show"],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "picture", "email", "name", "given_name", "family_name", "locale"],
                "subject_types_supported": ["public"],
                "authorization_server": urlsplit(self.base).netloc,
                PLATFORM_CONFIGURATION: {
                    "product_family_code": "canvas", "version": "vCloud",
                    "messages_supported": [{"type": t, "placements": p} for t, p in CANVAS_PLACEMENTS.items()],
                    "notice_types_supported": ["LtiHelloWorldNotice"],
                    "variables": ["ResourceLink.id", "Context.id", "Canvas.environment.test"],
                    "https://canvas.instructure.com/lti/account_name": "Test University",
                    "https://canvas.instructure.com/lti/account_lti_guid": "pNu5F9EoIATW6XqZ33C5tiqomb7bFJ4IGWFoCFy6:"
                                                                         "canvas-lms",
                },
            }
        return {
            "issuer": self.base,
            "authorization_endpoint": self.base + self.paths["auth"],
            "token_endpoint": "https://auth.brightspace.com/core/connect/token",
            "authorization_server": "https://api.brightspace.com/auth/token",
            "jwks_uri": self.url,
            "registration_endpoint": self.base + self.paths["registration"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly",
                                 AGS + "score", NRPS],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {"product_family_code": "desire2learn", "version": "20.24.1",
                                     "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                                            {"type": "LtiDeepLinkingRequest"}]},
        }

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def posted(self) -> list[dict[str, Any]]:
        """Return the registration POSTs received (accepted or not)."""
        return [r for r in self.requests if r["method"] == "POST"]

    # --- HTTP ---

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        self.requests.append({"method": method, "path": handler.path, "body": body,
                              "headers": {k.lower(): v for k, v in handler.headers.items()}})
        auth = handler.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        if method == "GET" and path == self.paths["configuration"]:
            time.sleep(self.delays.get("configuration", 0))
            status, content_type, payload = self._configuration(token)
        elif method == "POST" and path == self.paths["registration"]:
            time.sleep(self.delays.get("registration", 0))
            status, content_type, payload = self._registration(token, body)
        elif method == "GET" and path == self.paths["jwks"]:
            status, content_type, payload = 200, "application/json", json.dumps(self.jwks).encode()
        else:
            status, content_type, payload = 404, "text/plain", b"not found"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            if self.mode == "moodle":
                handler.send_header("X-Powered-By", "PHP/8.2.36")
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tool gave up (timeout tests)

    def _configuration(self, token: str) -> tuple[int, str, bytes]:
        if self.mode == "canvas" and not self._token_ok(token):
            return self._canvas_error(401, "Invalid or missing registration token")
        if self.configuration_raw is not None:
            return self.configuration_raw
        document = self.configuration()
        for name, value in self.configuration_changes.items():
            if value is DELETE:
                document.pop(name, None)
            else:
                document[name] = value
        return 200, "application/json; charset=utf-8", json.dumps(document).encode()

    def _registration(self, token: str, body: bytes) -> tuple[int, str, bytes]:
        if self.registration_raw is not None:
            return self.registration_raw
        if self.mode == "moodle":
            return self._moodle_registration(token, body)
        if not self._token_ok(token):
            return (self._canvas_error(401, "Invalid or missing registration token") if self.mode == "canvas"
                    else self._spec_error(401, "invalid_token", "The registration token is invalid or was used"))
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        problems = spec_problems(request)
        if self.mode == "canvas" and not problems:
            supported = set(self.configuration()["scopes_supported"])
            problems = [("scope", f"Invalid scope: {s}") for s in request.get("scope", "").split()
                        if s not in supported]
        if self.mode == "brightspace" and not problems:
            problems = https_problems(request)
            domain = request[TOOL_CONFIGURATION]["domain"]
            if not problems and domain in self._domains:
                problems = [("domain", f"Domain {domain} is already used by another registration")]
        if problems:
            if self.mode == "canvas":
                return 422, "application/json", json.dumps(
                    {"errors": [{"field": f, "message": m} for f, m in problems]}).encode()
            return self._spec_error(400, "invalid_client_metadata", "; ".join(m for _, m in problems))
        self.tokens[token]["uses"] += 1
        answer = {key: value for key, value in request.items() if key != TOOL_CONFIGURATION}
        tool = dict(request[TOOL_CONFIGURATION])
        client_id, self.next_client_id = self.next_client_id, None
        if self.mode == "canvas":
            answer["client_id"] = client_id or str(10000000000000 + len(self.registered) + 1)
            tool["https://canvas.instructure.com/lti/registration_config_url"] = (
                f"{self.base}/api/lti/registrations/{len(self.registered) + 1}/view")
        else:
            answer["client_id"] = client_id or str(uuid.uuid4())
            self._domains.add(tool["domain"])
            if self.create_deployment:
                tool["deployment_id"] = str(uuid.uuid4())
        answer[TOOL_CONFIGURATION] = tool
        return self._accept(request, answer)

    def _moodle_registration(self, token: str, body: bytes) -> tuple[int, str, bytes]:
        """Moodle ``openid-registration.php``: plain-text errors, the client id taken from the token."""
        if not token:
            return 401, "text/html; charset=utf-8", b"missing_registration_token"
        try:
            claims = jwt.decode(token, self._public_pem, algorithms=["RS256"])
        except jwt.InvalidTokenError:
            # firebase/php-jwt throws outside registration_exception: Moodle's HTML exception page.
            return 500, "text/html; charset=utf-8", b"<html><body>Signature verification failed</body></html>"
        client_id = claims["sub"]
        if client_id in self._client_ids:
            return 401, "text/html; charset=utf-8", b"token_already_used"
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        problem = moodle_problem(request) or next((m for _, m in spec_problems(request)), None)
        if problem:
            return 400, "text/html; charset=utf-8", problem.encode()
        self._client_ids.add(client_id)
        self._type_id += 1
        scopes = request.get("scope", "").split()
        granted = [s for s in (AGS + "score", AGS + "result.readonly", AGS + "lineitem.readonly")
                   if any(x.startswith(AGS) for x in scopes)]
        granted += [AGS + "lineitem"] if AGS + "lineitem" in scopes else []
        granted += [NRPS] if NRPS in scopes else []
        tool = request[TOOL_CONFIGURATION]
        claims_order = ["sub", "iss", "name", "family_name", "given_name", "email"]
        answer = {
            "client_id": client_id, "response_types": ["id_token"], "jwks_uri": request["jwks_uri"],
            "initiate_login_uri": request["initiate_login_uri"], "grant_types": ["client_credentials", "implicit"],
            "redirect_uris": request["redirect_uris"], "application_type": "web",
            "token_endpoint_auth_method": "private_key_jwt", "client_name": request["client_name"],
            "logo_uri": "", "scope": " ".join(granted),
            TOOL_CONFIGURATION: {
                "version": "1.3.0", "deployment_id": str(self._type_id), "target_link_uri": tool["target_link_uri"],
                "domain": tool["domain"], "description": tool.get("description", ""),
                "messages": [m for m in tool.get("messages", []) if m.get("type") == "LtiDeepLinkingRequest"],
                "claims": [c for c in claims_order if c in tool.get("claims", [])],
            },
        }
        return self._accept(request, answer)

    def _accept(self, request: dict[str, Any], answer: dict[str, Any]) -> tuple[int, str, bytes]:
        self.registered.append(request)
        self.answers.append(answer)
        return 200, "application/json; charset=utf-8", json.dumps(answer).encode()

    def _token_ok(self, token: str) -> bool:
        record = self.tokens.get(token)
        if record is None or time.time() > record["issued"] + 3600:
            return False
        return self.mode != "brightspace" or record["uses"] == 0  # Brightspace: one use

    @staticmethod
    def _canvas_error(status: int, message: str) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps({"errors": [{"message": message}]}).encode()

    @staticmethod
    def _spec_error(status: int, error: str, description: str) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps({"error": error, "error_description": description}).encode()


def spec_problems(request: Any) -> list[tuple[str, str]]:
    """Return (member, problem) for a client registration that breaks LTI DR 1.0 §3.1-3.2; [] if fine."""
    if not isinstance(request, dict):
        return [("body", "the registration is not a JSON object")]
    problems = []
    expected = {"application_type": "web", "token_endpoint_auth_method": "private_key_jwt"}
    for member, value in expected.items():
        if request.get(member) != value:
            problems.append((member, f"{member} must be {value!r}"))
    if not {"implicit", "client_credentials"} <= set(_list(request.get("grant_types"))):
        problems.append(("grant_types", "grant_types must include implicit and client_credentials"))
    if "id_token" not in _list(request.get("response_types")):
        problems.append(("response_types", "response_types must include id_token"))
    for member in ("initiate_login_uri", "jwks_uri"):
        if not _absolute(request.get(member)):
            problems.append((member, f"{member} must be an absolute URL"))
    redirects = request.get("redirect_uris")
    if not isinstance(redirects, list) or not redirects or not all(_absolute(u) for u in redirects):
        problems.append(("redirect_uris", "redirect_uris must be a non-empty list of URLs"))
    if not isinstance(request.get("client_name"), str) or not request["client_name"]:
        problems.append(("client_name", "client_name is required"))
    if "scope" in request and not isinstance(request["scope"], str):
        problems.append(("scope", "scope must be a space-separated string"))
    tool = request.get(TOOL_CONFIGURATION)
    if not isinstance(tool, dict):
        return [*problems, (TOOL_CONFIGURATION, "the LTI tool configuration is required")]
    domain = tool.get("domain")
    if not isinstance(domain, str) or not domain:
        problems.append(("domain", "domain is required"))
    if not _absolute(tool.get("target_link_uri")) or urlsplit(tool["target_link_uri"]).netloc != domain:
        problems.append(("target_link_uri", "target_link_uri must be a URL on the tool's domain"))
    if not isinstance(tool.get("claims"), list) or not all(isinstance(c, str) for c in tool["claims"]):
        problems.append(("claims", "claims must be a list of claim names"))
    messages = tool.get("messages", [])
    if not isinstance(messages, list):
        problems.append(("messages", "messages must be a list"))
        messages = []
    for message in messages:
        if not isinstance(message, dict) or message.get("type") not in ("LtiResourceLinkRequest",
                                                                        "LtiDeepLinkingRequest"):
            problems.append(("messages", "each message needs a known type"))
        elif "target_link_uri" in message and urlsplit(str(message["target_link_uri"])).netloc != domain:
            problems.append(("messages", "a message's target_link_uri must be on the tool's domain"))
        elif "placements" in message and not isinstance(message["placements"], list):
            problems.append(("messages", "placements must be a list"))
    return problems


def moodle_problem(request: Any) -> str | None:
    """Return Moodle's error text for a registration (``registration_helper::registration_to_config``)."""
    if not isinstance(request, dict):
        return "missing required attribute response_types"
    for key in ("response_types", "initiate_login_uri", "redirect_uris", "client_name", "jwks_uri",
                "token_endpoint_auth_method", TOOL_CONFIGURATION):
        if not request.get(key):
            return f"missing required attribute {key}"
    for key in ("domain", "target_link_uri"):
        if not isinstance(request[TOOL_CONFIGURATION], dict) or not request[TOOL_CONFIGURATION].get(key):
            return f"missing required attribute {key}"
    if "id_token" not in _list(request["response_types"]):
        return "invalid_response_types"
    if not isinstance(request["redirect_uris"], list):
        return "invalid_redirect_uris"
    if request["token_endpoint_auth_method"] != "private_key_jwt":
        return "invalid_token_endpoint_auth_method"
    if request.get("application_type") and request["application_type"] != "web":
        return "invalid_application_type"
    return None


def https_problems(request: dict[str, Any]) -> list[tuple[str, str]]:
    """Brightspace: "URLs must be https"."""
    tool = request[TOOL_CONFIGURATION]
    urls = [("initiate_login_uri", request["initiate_login_uri"]), ("jwks_uri", request["jwks_uri"]),
            ("target_link_uri", tool["target_link_uri"])] + [("redirect_uris", u) for u in request["redirect_uris"]]
    return [(member, f"{member} must use https") for member, url in urls if not url.startswith("https://")]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _absolute(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def query(url: str) -> dict[str, str]:
    """Return the query parameters of a URL."""
    return dict(parse_qsl(urlsplit(url).query))
