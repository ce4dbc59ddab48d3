"""An LMS for the browser tests of cookie-less launches, served from another site than the tool.

Two loopback HTTP servers make one LMS the way Canvas is laid out: the course page (``lms``) and an
SSO host (``sso``) that serves the OIDC authorization endpoint and the ``post_message_forwarding``
frame. Sakai's layout is the course page alone: its authorization endpoint is on the same origin and
its platform storage is the parent window (``lti_storage_target=_parent``).

* The course page frames the tool (``<iframe name="tool">``) and starts the launch with a form POST to
  the tool's login URL (LTI Core 1.3 §4.1, third-party initiated login), with ``lti_storage_target``
  when the course uses platform storage.
* The platform storage answers ``lti.put_data`` / ``lti.get_data`` (lti-pm-s v0p1) per tool origin,
  ``<subject>.response`` with the request's ``message_id``, errors as ``{error: {code, message}}`` —
  the shapes of canvas-lms ``ui/shared/lti/jquery/response_messages.ts`` and ``subjects/lti.get_data.ts``.
  In Canvas's layout the storage lives in the course page and the SSO frame only forwards, as
  canvas-lms ``ui/features/post_message_forwarding/index.ts`` does (``sourceToolInfo`` with the tool's
  origin and window). ``storage`` makes it misbehave: ``forge`` answers get_data with another value,
  ``silent`` never answers, ``silent-get`` stores but never answers get_data.
* ``/auth`` is the OIDC authorization endpoint: it checks the authentication request (Security
  Framework 1.0 §5.1.1.2) and answers with an auto-submitted form_post of a real RS256 id_token built
  by lti1p3platform (``Platform.claims`` / ``Platform.sign``) with the request's nonce and state; like
  Canvas it repeats ``lti_storage_target`` in the launch body.

Every message the storage receives is kept in ``window.lmsStorageLog`` of the course page.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.lti_tool.lti.platforms import LEARNER, Platform


@dataclass
class Course:
    """What the next launch from the course page carries."""

    platform: Platform
    tool_url: str
    storage_target: str = ""
    storage: str = "honest"
    sub: str = "learner-1"
    name: str = "Pat Learner"
    custom: dict[str, str] = field(default_factory=dict)
    auth_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def launch_url(self) -> str:
        return f"{self.tool_url}/lti/launch"


class LmsServer:
    """The course page and the SSO host, on two ports of ``host``; ``course`` is the launch to serve."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.course: Course | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                route = {"/course": outer._course_page, "/post_message_forwarding": outer._forwarding_frame,
                         "/auth": outer._authorize}.get(parts.path)
                if route is None:
                    self._send(404, "text/plain", "not found")
                    return
                status, body = route(dict(parse_qsl(parts.query)))
                self._send(status, "text/html; charset=utf-8" if status == 200 else "text/plain", body)

            def _send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._servers = [ThreadingHTTPServer((host, 0), Handler) for _ in range(2)]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def lms_origin(self) -> str:
        return f"http://{self.host}:{self._servers[0].server_address[1]}"

    @property
    def sso_origin(self) -> str:
        return f"http://{self.host}:{self._servers[1].server_address[1]}"

    def auth_url(self, storage_target: str) -> str:
        """Canvas authorizes on its SSO host; Sakai and plain LMSs on the course host."""
        origin = self.sso_origin if storage_target == "post_message_forwarding" else self.lms_origin
        return f"{origin}/auth"

    def course_url(self) -> str:
        return f"{self.lms_origin}/course"

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # --- pages ------------------------------------------------------------------------------------------

    def _course_page(self, _query: dict[str, str]) -> tuple[int, str]:
        course = self.course
        if course is None:
            return 404, "no course is set up"
        platform = course.platform
        login = {"iss": platform.issuer, "login_hint": course.sub, "target_link_uri": course.launch_url,
                 "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id,
                 "lti_message_hint": "resource-link-1"}
        if course.storage_target:
            login["lti_storage_target"] = course.storage_target
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in login.items())
        forwarding = (f'<iframe name="post_message_forwarding" src="{self.sso_origin}/post_message_forwarding" '
                      'title="Platform storage" hidden></iframe>'
                      if course.storage_target == "post_message_forwarding" else "")
        config = json.dumps({"mode": course.storage, "layout": course.storage_target, "sso": self.sso_origin})
        return 200, f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>DATA101 · Riverside LMS</title>
<style>body{{margin:0;font:15px/1.4 system-ui,sans-serif;background:#f2f4f7;color:#1d2433}}
header{{background:#1f3b63;color:#fff;padding:12px 20px}} header b{{font-size:17px}}
nav{{float:left;width:170px;padding:16px 20px;color:#44516a}} nav p{{margin:0 0 10px}}
main{{margin-left:210px;padding:16px 20px 20px 0}} h2{{margin:0 0 10px;font-size:18px}}
iframe[name=tool]{{width:100%;height:680px;border:1px solid #c9d1de;border-radius:6px;background:#fff}}</style>
</head><body><header><b>Riverside LMS</b> · DATA101 Intro to Data</header>
<nav><p>Home</p><p>Modules</p><p><b>Badges</b></p><p>Grades</p></nav>
<main><h2>Data literacy badge</h2>{forwarding}
<iframe name="tool" title="Accolade" allow="clipboard-write"></iframe>
<form id="lti-login" method="post" action="{html.escape(course.tool_url)}/lti/login" target="tool">{inputs}</form>
</main><script>var LMS = {config};
{_STORAGE_JS}
/* Start the launch once the page, and so the storage frame, has loaded. */
window.addEventListener("load", function () {{ document.getElementById("lti-login").submit(); }});
</script></body></html>"""

    def _forwarding_frame(self, _query: dict[str, str]) -> tuple[int, str]:
        return 200, f"""<!doctype html><html><head><meta charset="utf-8"><title>post_message_forwarding</title></head>
<body><script>var PARENT_ORIGIN = {json.dumps(self.lms_origin)};
{_FORWARDING_JS}</script></body></html>"""

    def _authorize(self, query: dict[str, str]) -> tuple[int, str]:
        course = self.course
        if course is None:
            return 400, "no course is set up"
        course.auth_requests.append(query)
        problems = [name for name, ok in (
            ("response_type", query.get("response_type") == "id_token"),
            ("scope", "openid" in query.get("scope", "").split()),
            ("response_mode", query.get("response_mode") == "form_post"),
            ("prompt", query.get("prompt") == "none"),
            ("client_id", query.get("client_id") == course.platform.client_id),
            ("redirect_uri", query.get("redirect_uri") == course.launch_url),
            ("login_hint", query.get("login_hint") == course.sub),
            ("lti_message_hint", query.get("lti_message_hint") == "resource-link-1"),
            ("nonce", bool(query.get("nonce"))),
            ("state", bool(query.get("state")))) if not ok]
        if problems:
            return 400, "invalid authentication request: " + ", ".join(problems)
        claims = course.platform.claims(query, sub=course.sub, roles=[LEARNER], target=course.launch_url,
                                        custom=course.custom or None, name=course.name,
                                        email=f"{course.sub}@riverside.example.edu")
        fields: dict[str, Any] = {"id_token": course.platform.sign(claims), "state": query["state"]}
        if course.storage_target:
            fields["lti_storage_target"] = course.storage_target
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(str(v))}">' for k, v in fields.items())
        return 200, f"""<!doctype html><html><head><meta charset="utf-8"><title>Launching…</title></head><body>
<form id="f" method="post" action="{html.escape(query['redirect_uri'])}">{inputs}</form>
<script>document.getElementById("f").submit();</script></body></html>"""


# The course page's platform storage. Canvas layout: only messages relayed by the forwarding frame
# count, the tool is who the frame says sent it. Sakai layout: messages straight from the tool frame.
_STORAGE_JS = r"""
window.lmsStorageLog = [];
var stored = {};
function storageAnswer(message, toolOrigin) {
  var reply = {subject: message.subject + ".response", message_id: message.message_id};
  if (LMS.mode === "silent") { return null; }
  if (message.subject === "lti.put_data") {
    if (!message.key || typeof message.value !== "string") {
      reply.error = {code: "bad_request", message: "key and value are required"}; return reply;
    }
    stored[toolOrigin] = stored[toolOrigin] || {};
    stored[toolOrigin][message.key] = message.value;
    reply.key = message.key; reply.value = message.value; return reply;
  }
  if (message.subject === "lti.get_data") {
    if (LMS.mode === "silent-get") { return null; }
    var value = (stored[toolOrigin] || {})[message.key];
    reply.key = message.key;
    reply.value = LMS.mode === "forge" ? "AAAAAAAAAAAAAAAAAAAAAA" : (value === undefined ? null : value);
    return reply;
  }
  reply.error = {code: "unsupported_subject", message: String(message.subject)};
  return reply;
}
window.addEventListener("message", function (event) {
  var message = event.data, toolOrigin, send;
  if (!message || typeof message !== "object" || typeof message.subject !== "string") { return; }
  if (LMS.layout === "post_message_forwarding") {
    if (event.origin !== LMS.sso || event.source !== window.frames["post_message_forwarding"] ||
        !message.sourceToolInfo) { return; }
    toolOrigin = message.sourceToolInfo.origin;
    send = function (reply) {
      reply.sourceToolInfo = message.sourceToolInfo;
      event.source.postMessage(reply, LMS.sso);
    };
  } else if (LMS.layout === "_parent") {
    if (event.source !== window.frames["tool"]) { return; }
    toolOrigin = event.origin;
    send = function (reply) { event.source.postMessage(reply, event.origin); };
  } else { return; }
  window.lmsStorageLog.push({subject: message.subject, key: message.key, value: message.value, origin: toolOrigin});
  var reply = storageAnswer(message, toolOrigin);
  if (reply) { send(reply); }
});
"""

# canvas-lms ui/features/post_message_forwarding/index.ts, reduced: tool → Canvas with sourceToolInfo,
# Canvas → tool to the window and origin sourceToolInfo names.
_FORWARDING_JS = r"""
var windows = [];
window.addEventListener("message", function (event) {
  var message = event.data;
  if (!message || typeof message !== "object") { return; }
  if (event.origin === PARENT_ORIGIN) {
    var info = message.sourceToolInfo;
    if (!info || !windows[info.windowId]) { return; }
    var forwarded = Object.assign({}, message);
    delete forwarded.sourceToolInfo;
    windows[info.windowId].postMessage(forwarded, info.origin);
  } else {
    var id = windows.indexOf(event.source);
    if (id === -1) { windows.push(event.source); id = windows.length - 1; }
    window.parent.postMessage(Object.assign({}, message, {sourceToolInfo: {origin: event.origin, windowId: id}}),
                              PARENT_ORIGIN);
  }
});
"""
