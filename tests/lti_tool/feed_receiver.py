"""A registrar's receiving server on a real port, for the feed's tests and benchmarks.

It answers as it is told, one scripted reply per request (status and headers, a delay, or a dropped
connection), then 200; it can be stopped and started again on the same port (down for a while);
and it keeps what a real receiver keeps: every request, whether its Standard Webhooks signature
verified (with the reference ``standardwebhooks`` library), and the set of distinct event ids, by
which it drops repeats.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    body: bytes = b'{"ok":true}'


class Receiver:
    def __init__(self, secret: str | None = None, responder=None) -> None:
        self.secret = secret
        self.responder = responder  # (method, path, headers, body) -> Reply | None, when nothing is scripted
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/accolade-feed"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes; without this, Nagle's algorithm holds the body
                # until the client's delayed ACK (40 ms), and the receiver looks 40 ms slow.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.lock:
                    reply = receiver.replies.popleft() if receiver.replies else None
                if reply is None:
                    reply = (receiver.responder and receiver.responder(self.command, self.path, dict(self.headers),
                                                                       body)) or Reply()
                with receiver.lock:
                    receiver.received.append(Received(self.command, self.path, dict(self.headers.items()), body,
                                                      receiver._verify(body, self.headers)))
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up waiting

            do_POST = do_PUT = do_GET = do_DELETE = _any

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go down: nothing listens on the port until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def _verify(self, body: bytes, headers) -> bool | None:
        if self.secret is None or "webhook-signature" not in headers:
            return None
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError
        try:
            Webhook(self.secret).verify(body, {k.lower(): v for k, v in headers.items()})
            return True
        except WebhookVerificationError:
            return False

    def event_ids(self) -> list[str]:
        """Return the distinct event ids received, in first-arrival order (how a receiver dedupes)."""
        seen: dict[str, None] = {}
        for item in self.received:
            if item.headers.get("webhook-id"):
                seen.setdefault(item.headers["webhook-id"], None)
        return list(seen)

    def close(self) -> None:
        self.stop()
