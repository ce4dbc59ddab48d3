"""One full LTI 1.3 launch as a browser in an LMS iframe makes it, timed step by step.

LTI Core 1.3 §5.1.1 / 1EdTech Security Framework §5.1.1: the platform's login initiation POST reaches the
tool, which answers 302 to the platform's authorization endpoint (with ``state``, ``nonce``,
``redirect_uri``) and sets its state cookie; the platform signs an id_token (here: ``Platform.id_token``,
timed apart as the platform's share) and the browser form-posts it with the state to ``redirect_uri``;
the tool answers 303 to the page, which the browser loads. Every exchange starts with an empty cookie jar
(a fresh browser), and every step's status is checked: a failed launch stops the benchmark.

Two browsers share one interface: Django's test client in this process, and plain ``http.client``
against gunicorn (one connection per request: gunicorn's sync workers close it after each response).
Cookies are kept by name, without ``Secure``/``Path`` filtering, as a browser behind the TLS proxy of a
real deployment would send them.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.test import Client

from .lti_platform import DEPLOYMENT_ID, ISSUER, MESSAGE_HINT, Platform


class LaunchFailed(Exception):
    """Raise when a step of the exchange does not answer as a working launch must."""


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    set_cookies: list[str]
    body: bytes


@dataclass(frozen=True)
class Route:
    """A tool's LTI endpoints and what its landing page must contain."""

    key: str
    label: str
    login_path: str
    launch_path: str
    client_id: str
    marker: bytes


@dataclass(frozen=True)
class Sample:
    """Seconds spent in each step of one exchange."""

    login: float
    platform: float
    launch: float
    landing: float

    @property
    def tool(self) -> float:
        return self.login + self.launch + self.landing

    @property
    def end_to_end(self) -> float:
        return self.tool + self.platform


class DjangoClientBrowser:
    """Requests through Django's test client, in this process (no socket, no WSGI server)."""

    base = "http://testserver"

    def __init__(self) -> None:
        self._client = Client()

    def request(self, method: str, path: str, form: Mapping[str, str] | None, cookies: Mapping[str, str]) -> Reply:
        self._client.cookies.clear()
        extra = {"HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        if method == "POST":
            response = self._client.post(path, form or {}, **extra)
        else:
            response = self._client.get(path, **extra)
        set_cookies = [morsel.OutputString() for morsel in response.cookies.values()]
        if "Set-Cookie" in response.headers:  # written by hand (our Partitioned state cookie)
            set_cookies.append(response.headers["Set-Cookie"])
        return Reply(response.status_code, response.headers.get("Location", ""), set_cookies, response.content)


class HttpBrowser:
    """Requests over HTTP/1.1 to ``host:port``, one TCP connection per request."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self.base = f"http://{host}:{port}"

    def request(self, method: str, path: str, form: Mapping[str, str] | None, cookies: Mapping[str, str]) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            message: Message = response.msg
            return Reply(response.status, response.getheader("Location", ""),
                         message.get_all("Set-Cookie") or [], content)
        finally:
            connection.close()


def update_jar(jar: dict[str, str], set_cookies: list[str]) -> None:
    """Apply Set-Cookie headers to a jar (name → value); a Max-Age of 0 or a past Expires deletes."""
    for header in set_cookies:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        lowered = [a.strip().lower() for a in attributes]
        if "max-age=0" in lowered or any(a.startswith("expires=") and "1970" in a for a in lowered):
            jar.pop(name, None)
        else:
            jar[name] = value.strip().strip('"')


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def expect(reply: Reply, status: int, step: str, route: Route) -> None:
    if reply.status != status:
        raise LaunchFailed(f"{route.label}: {step} answered {reply.status}, expected {status}: {reply.body[:300]!r}")


def exchange(browser: DjangoClientBrowser | HttpBrowser, route: Route, platform: Platform, *, sub: str,
             badge: str) -> Sample:
    """Run login → platform signs → launch → landing page; return the time of each step."""
    perf = time.perf_counter
    jar: dict[str, str] = {}
    target = browser.base + route.launch_path
    login_form = {"iss": ISSUER, "login_hint": sub, "target_link_uri": target, "client_id": route.client_id,
                  "lti_message_hint": MESSAGE_HINT, "lti_deployment_id": DEPLOYMENT_ID}
    t0 = perf()
    reply = browser.request("POST", route.login_path, login_form, jar)
    t1 = perf()
    expect(reply, 302, "login", route)
    update_jar(jar, reply.set_cookies)
    query = dict(parse_qsl(urlsplit(reply.location).query))
    token = platform.id_token(nonce=query["nonce"], sub=sub, client_id=route.client_id, target=target, badge=badge)
    t2 = perf()
    reply = browser.request("POST", path_of(query["redirect_uri"]), {"id_token": token, "state": query["state"]}, jar)
    t3 = perf()
    expect(reply, 303, "launch", route)
    update_jar(jar, reply.set_cookies)
    landing_path = path_of(reply.location)
    t4 = perf()
    reply = browser.request("GET", landing_path, None, jar)
    t5 = perf()
    expect(reply, 200, "landing page", route)
    if route.marker not in reply.body:
        raise LaunchFailed(f"{route.label}: the landing page lacks {route.marker!r}")
    return Sample(login=t1 - t0, platform=t2 - t1, launch=t3 - t2, landing=t5 - t4)
