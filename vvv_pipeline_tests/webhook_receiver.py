"""A local Slack-compatible webhook: keeps every JSON body POSTed to it, answers ``status``."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """On 127.0.0.1 at a free port; a context manager that stops the server on exit."""

    def __init__(self, path: str = "/services/T0/B0/secret") -> None:
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(size) or b"{}"))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver down")

            def log_message(self, *args) -> None:
                pass

        self.closed = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def texts(self) -> list[str]:
        return [body.get("text", "") for body in self.bodies]

    def close(self) -> None:
        """Stop answering (a test may close it early to see a refused connection)."""
        if not self.closed:
            self.closed = True
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
