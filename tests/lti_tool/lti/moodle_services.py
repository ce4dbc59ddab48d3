"""A Moodle 5.1 LTI Advantage service emulation over HTTP, built from the recorded payloads.

It answers as the recorded site did (tests/fixtures/moodle/README.md, "Quirks observed"):

* token endpoint: ``client_credentials`` with an RS256 client assertion, checked against the tool's
  JWKS (``iss`` = ``sub`` = client id, ``aud`` = the token URL, ``exp``); JSON labelled ``text/html``;
* AGS line items with ``?type_id=1`` in every URL, ``resourceId``/``tag`` as ``""``, ``ltiLinkId``;
  paging only when asked with ``limit`` (or when ``page_size`` forces it), with Moodle's Link header:
  typographic quotes, ``&amp;``, ``first``/``canonical``/``next``/``last`` and a ``last`` past the end;
* results: a pending score as ``{id, userId}`` only; ``limit`` on results answers 404 with an HTML
  error page (the Moodle bug);
* scores: rescaled to the item maximum; 409 with body ``[]`` and the message in the reason phrase
  when the timestamp is not later (second resolution); 200 with an empty body;
* NRPS: short role names, standard ``rel="next"`` paging with ``limit``; optionally a
  ``rel="differences"`` link (Moodle offers none; Canvas-like platforms do);
* 401 JSON ``{"status":401,"reason":"Unauthorized","request":{…}}`` for a bad token.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.fixtures import MOODLE_FIXTURES

RECORDED_BASE = "http://127.0.0.1:8500"
LTI = MOODLE_FIXTURES / "lti"


def _recorded(path: str) -> Any:
    return json.loads((LTI / path).read_text())["response"]["body"]


class MoodleServices:
    """Serve AGS, NRPS and the token endpoint for course 2 of the recorded site, on 127.0.0.1."""

    def __init__(self, *, client_id: str, tool_jwks: dict[str, Any], page_size: int | None = None,
                 differences: bool = False) -> None:
        self.client_id = client_id
        self.tool_jwks = tool_jwks
        self.page_size = page_size
        self.differences = differences
        self.tokens: dict[str, set[str]] = {}
        self.requests: list[tuple[str, str]] = []
        self.assertions: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer._handle(self, "GET")

            def do_POST(self):
                outer._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.token_url = f"{self.base}/mod/lti/token.php"
        self.lineitems_url = f"{self.base}/mod/lti/services.php/2/lineitems?type_id=1"
        self.memberships_url = f"{self.base}/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
        self.line_items: list[dict[str, Any]] = [self._local(item) for item in _recorded("ags/lineitems.get.json")]
        self.results: dict[str, dict[str, dict[str, Any]]] = {item["id"]: {} for item in self.line_items}
        for result in _recorded("ags/results.get.json"):
            self.results[self._local(result["scoreOf"])][result["userId"]] = self._local(result)
        self.members: list[dict[str, Any]] = copy.deepcopy(_recorded("nrps/memberships.get.json")["members"])
        self.roster_changes: list[dict[str, Any]] = []

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()  # refuse connections from now on, as a stopped LMS does

    def _local(self, value: Any) -> Any:
        return json.loads(json.dumps(value).replace(RECORDED_BASE, self.base))

    # -- what tests change --------------------------------------------------------------------

    def add_line_item(self, label: str, maximum: float) -> str:
        number = 10 + len(self.line_items)
        item = {"id": f"{self.base}/mod/lti/services.php/2/lineitems/{number}/lineitem?type_id=1", "label": label,
                "scoreMaximum": maximum, "resourceId": "", "tag": "", "resourceLinkId": "1", "ltiLinkId": "1"}
        self.line_items.append(item)
        self.results[item["id"]] = {}
        return item["id"]

    def set_result(self, item_id: str, user_id: str, score: float | None, *, timestamp: str | None = None,
                   **extra: Any) -> None:
        result: dict[str, Any] = {"id": f"{item_id.replace('/lineitem?', '/lineitem/results?')}&user_id={user_id}",
                                  "userId": user_id}
        if score is not None:
            item = next(i for i in self.line_items if i["id"] == item_id)
            result.update(resultScore=score, resultMaximum=item["scoreMaximum"], scoreOf=item_id,
                          timestamp=timestamp or datetime.now(UTC).replace(microsecond=0).isoformat())
        result.update(extra)
        self.results[item_id][user_id] = result

    def remove_member(self, user_id: str) -> None:
        self.members = [m for m in self.members if m["user_id"] != user_id]

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # -- HTTP ---------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, handler.path))
        if url.path == "/mod/lti/token.php" and method == "POST":
            return self._token(handler, body)
        token = (handler.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            return self._send(handler, 401, {"status": 401, "reason": "Unauthorized",
                                             "request": {"method": method, "url": handler.path,
                                                         "accept": handler.headers.get("Accept", "")}},
                              "application/json")
        path = url.path
        if path == "/mod/lti/services.php/2/lineitems" and method == "GET":
            return self._paged(handler, self.line_items, query, moodle_links=True, container=False,
                               content_type="application/vnd.ims.lis.v2.lineitemcontainer+json")
        if path.endswith("/lineitem/results") and method == "GET":
            if "limit" in query:  # the recorded Moodle bug
                return self._send(handler, 404, b"<html><body>Exception - Call to a member function out() on null"
                                  b"</body></html>", "text/html; charset=utf-8", reason="Not Found")
            item_id = f"{self.base}{path.removesuffix('/results')}?type_id=1"
            return self._send(handler, 200, list(self.results.get(item_id, {}).values()),
                              "application/vnd.ims.lis.v2.resultcontainer+json; charset=utf-8")
        if path.endswith("/lineitem/scores") and method == "POST":
            return self._score(handler, f"{self.base}{path.removesuffix('/scores')}?type_id=1", body)
        if path == "/mod/lti/services.php/CourseSection/2/bindings/1/memberships" and method == "GET":
            if "since" in query:
                return self._send(handler, 200, {"id": self.memberships_url, "members": self.roster_changes},
                                  "application/vnd.ims.lti-nrps.v2.membershipcontainer+json; charset=utf-8")
            return self._paged(handler, self.members, query, moodle_links=False, container=True,
                               content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        return self._send(handler, 404, b"not found", "text/plain")

    def _token(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        try:
            header = jwt.get_unverified_header(form.get("client_assertion", ""))
            key = next(k for k in self.tool_jwks["keys"] if k["kid"] == header["kid"])
            claims = jwt.decode(form["client_assertion"], jwt.PyJWK(key).key, algorithms=["RS256"],
                                audience=self.token_url, options={"require": ["exp", "iat", "jti"]})
            assert claims["iss"] == claims["sub"] == self.client_id
            assert form["grant_type"] == "client_credentials"
        except Exception as error:  # Moodle answers a bad assertion with a 400 JSON error
            return self._send(handler, 400, {"error": "invalid_client", "error_description": str(error)},
                              "text/html; charset=utf-8")
        self.assertions.append(claims)
        token = secrets.token_urlsafe(16)
        self.tokens[token] = set(form.get("scope", "").split())
        return self._send(handler, 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                                         "scope": form.get("scope", "")}, "text/html; charset=utf-8")

    def _paged(self, handler, items: list[dict[str, Any]], query: dict[str, str], *, moodle_links: bool,
               container: bool, content_type: str) -> None:
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else self.page_size
        start = int(query.get("from", "0") or 0)
        page = items[start:start + limit] if limit else items
        headers = {}
        base = self.lineitems_url if moodle_links else self.memberships_url
        joiner = "&" if "?" in base else "?"
        if limit:
            if moodle_links:  # typographic quotes, &amp;, a "last" past the end
                amp = "&amp;" if "?" in base else ""
                q = f"{base}{amp if amp else '?'}limit={limit}&amp;from="
                parts = [f"<{q}0>; rel=\u201cfirst\u201d", f"<{q}{start}>; rel=\u201ccanonical\u201d"]
                if start + limit < len(items):
                    parts.append(f"<{q}{start + limit}>; rel=\u201cnext\u201d")
                parts.append(f"<{q}{max(len(items) - limit + 1, 0)}>; rel=\u201clast\u201d")
                headers["Link"] = ", ".join(parts)
            elif start + limit < len(items):
                headers["Link"] = f'<{base}{joiner}limit={limit}&from={start + limit}>; rel="next"'
        if self.differences and container and start + (limit or len(items)) >= len(items):
            since = int(time.time())
            extra = f'<{self.memberships_url}?since={since}>; rel="differences"'
            headers["Link"] = f"{headers['Link']}, {extra}" if "Link" in headers else extra
        body: Any = {"id": self.memberships_url, "context": {"id": "2", "label": "LTI101",
                                                             "title": "LTI Harness Course"}, "members": page} \
            if container else page
        return self._send(handler, 200, body, f"{content_type}; charset=utf-8", headers=headers)

    def _score(self, handler, item_id: str, body: bytes) -> None:
        score = json.loads(body or b"{}")
        item = next((i for i in self.line_items if i["id"] == item_id), None)
        user_id = str(score.get("userId", ""))
        if item is None or not user_id or "timestamp" not in score:
            return self._send(handler, 400, [], "application/vnd.ims.lis.v1.score+json; charset=utf-8",
                              reason=f"Incorrect score received {body.decode()}")
        stamp = datetime.fromisoformat(score["timestamp"].replace("Z", "+00:00")).replace(microsecond=0)
        held = self.results[item_id].get(user_id)
        if held and "timestamp" in held and datetime.fromisoformat(held["timestamp"]) >= stamp:
            return self._send(handler, 409, [], "application/vnd.ims.lis.v1.score+json; charset=utf-8",
                              reason=f"Refusing score with an earlier timestamp for item 2 and user {user_id}")
        if score.get("gradingProgress") == "FullyGraded" and "scoreGiven" in score:
            rescaled = score["scoreGiven"] * item["scoreMaximum"] / score["scoreMaximum"]
            self.set_result(item_id, user_id, rescaled, timestamp=stamp.isoformat())
        else:  # Moodle ignores scoreGiven unless FullyGraded: a pending result
            self.set_result(item_id, user_id, None)
        return self._send(handler, 200, b"", "application/vnd.ims.lis.v1.score+json")

    def _send(self, handler, status: int, body: Any, content_type: str, *, headers: dict[str, str] | None = None,
              reason: str | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status, reason)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():  # raw UTF-8 bytes, as PHP sends them (not latin-1)
            handler._headers_buffer.append(f"{name}: {value}\r\n".encode())
        handler.end_headers()
        handler.wfile.write(data)
