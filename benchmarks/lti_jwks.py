"""The platform's key set URL, in its own process: serves a JWKS over HTTP on loopback and counts fetches.

Run by benchmarks/lti_launch.py (through ``lti_platform.JwksProcess``): reads the JWKS from stdin, prints
the port, then serves ``GET /jwks`` (``Cache-Control: max-age=3600``, as Moodle's and Canvas's key sets
allow caching) and ``GET /fetches`` (how many times the key set was fetched) until it is terminated.
Its own process, so a tool fetching the key set never competes with the benchmark's client for a GIL.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    body = json.dumps(json.loads(sys.stdin.read())).encode()
    fetches = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            nonlocal fetches
            if self.path == "/jwks":
                with lock:
                    fetches += 1
                payload, content_type = body, "application/json"
            elif self.path == "/fetches":
                payload, content_type = str(fetches).encode(), "text/plain"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "max-age=3600")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
