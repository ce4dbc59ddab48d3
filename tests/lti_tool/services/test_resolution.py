"""Fetching other issuers' documents: SSRF guard, limits, content types, redirects (real HTTP server)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lti_tool.core.ports import ResolveError
from lti_tool.services.resolution import document_resolver, fetch_json, local_document


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def do_GET(self):
        self.hits.append(self.path)
        if self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.hits = []
    Handler.routes = {
        "/doc": (200, {"Content-Type": "application/ld+json"}, json.dumps({"id": "x"}).encode()),
        "/html": (200, {"Content-Type": "text/html"}, b"<html></html>"),
        "/big": (200, {"Content-Type": "application/json"}, b"[" + b"1," * 600_000 + b"1]"),
        "/notjson": (200, {"Content-Type": "application/json"}, b"{nope"),
        "/redirect": (302, {"Location": "/doc"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/gone": (410, {"Content-Type": "application/json"}, b"{}"),
    }
    yield base
    httpd.shutdown()


@pytest.fixture
def allow_private(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "REMOTE_FETCH_ALLOW_PRIVATE": True}


def test_private_addresses_are_refused_by_default(server):
    with pytest.raises(ResolveError, match="non-public address"):
        fetch_json(f"{server}/doc")


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://10.0.0.5/",
                                 "http://localhost/"])
def test_metadata_and_internal_hosts_are_refused(url, db):
    with pytest.raises(ResolveError, match=r"non-public address|does not resolve"):
        fetch_json(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://example.org/x"])
def test_other_schemes_are_refused(url):
    with pytest.raises(ResolveError, match="scheme"):
        fetch_json(url)


def test_fetch_follows_redirects_and_parses_json(server, allow_private):
    assert fetch_json(f"{server}/redirect") == {"id": "x"}


@pytest.mark.parametrize(("path", "message"), [
    ("/html", "content type"), ("/big", "larger than"), ("/notjson", "not JSON"), ("/loop", "too many redirects"),
    ("/missing", "HTTP 404"),
])
def test_bad_responses_are_reported(server, allow_private, settings, path, message):
    settings.ACCOLADE = {**settings.ACCOLADE, "REMOTE_FETCH_MAX_BYTES": 1_000_000}
    with pytest.raises(ResolveError, match=message):
        fetch_json(f"{server}{path}")


def test_gone_keeps_its_status(server, allow_private):
    with pytest.raises(ResolveError) as caught:
        fetch_json(f"{server}/gone")
    assert caught.value.status == 410


def test_redirect_to_private_address_is_refused_even_from_public_start(server, monkeypatch):
    # The first hop is allowed (pretend loopback is public); the redirect target is checked again.
    import lti_tool.services.resolution as resolution

    real_check = resolution._check_address

    def check(url, address, **kwargs):
        if address == "127.0.0.1":
            return None
        return real_check(url, address, **kwargs)

    monkeypatch.setattr(resolution, "_check_address", check)
    with pytest.raises(ResolveError, match="non-public address"):
        fetch_json(f"{server}/to-metadata")
    assert Handler.hits == ["/to-metadata"]


def test_remote_fetch_can_be_switched_off(server, allow_private):
    resolver = document_resolver(allow_remote=False)
    with pytest.raises(ResolveError, match="disabled"):
        resolver(f"{server}/doc")


def test_own_documents_resolve_locally_without_http(issuer):
    document = local_document(issuer.public_id)
    assert document["id"] == issuer.public_id
    with pytest.raises(ResolveError) as caught:
        local_document("http://testserver/issuers/00000000-0000-0000-0000-000000000000")
    assert caught.value.status == 404


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:1\\@8.8.8.8/",            # backslash: parsers disagree on the host
    "http://user:pass@example.org/doc",       # user-info
    "http://exa mple.org/doc",                # whitespace
    "http://bücher.example/doc",              # non-ASCII host
])
def test_urls_that_parsers_read_differently_are_refused(url):
    with pytest.raises(ResolveError, match=r"backslash|user information|printable ASCII"):
        fetch_json(url)


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "169.254.169.254",
                                     "fd00::1", "0.0.0.0"])
def test_mapped_translated_and_private_addresses_are_refused(monkeypatch, address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(family, socket.SOCK_STREAM, 6, "", (address, 80))])
    with pytest.raises(ResolveError, match="address"):
        fetch_json("http://innocent.example.org/doc")


def test_the_checked_address_is_the_one_connected_to(server, monkeypatch, settings):
    """DNS rebinding: the first answer is public, any later one points at our loopback server."""
    settings.ACCOLADE = {**settings.ACCOLADE, "REMOTE_FETCH_TIMEOUT": 2}
    port = int(server.rsplit(":", 1)[1])
    answers = iter([("192.0.2.10", port)] + [("127.0.0.1", port)] * 10)  # 192.0.2.0/24: TEST-NET, unroutable
    real = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):
        if host[:1].isdigit():  # an address literal resolves to itself, as with real DNS
            return real(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", next(answers))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr("lti_tool.services.resolution._check_address", lambda url, address, **kw: None)
    with pytest.raises(ResolveError):
        fetch_json(f"http://rebinding.example:{port}/doc")
    assert Handler.hits == []


def test_a_trickling_server_is_cut_off_at_the_deadline(server, allow_private, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "REMOTE_FETCH_ALLOW_PRIVATE": True, "REMOTE_FETCH_TIMEOUT": 1}
    started = time.monotonic()
    with pytest.raises(ResolveError, match=r"took too long|request failed"):
        fetch_json(f"{server}/trickle")
    assert time.monotonic() - started < 3


def test_pages_on_our_own_host_are_not_fetched(db):
    for url in ("http://testserver/verify?url=http://testserver/verify", "http://testserver/credentials/x/y",
                "http://testserver/elsewhere"):
        with pytest.raises(ResolveError) as caught:
            document_resolver()(url)
        assert caught.value.status == 404
