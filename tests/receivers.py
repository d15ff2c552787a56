"""Real message receivers on loopback for the tests: an SMTP server (aiosmtpd) and an HTTP
webhook receiver that honours the ``Idempotency-Key`` header, as a provider would."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """What the SMTP server accepted (aiosmtpd envelopes)."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(envelope)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free loopback port: ``(inbox, port)``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Hooks:
    """The JSON bodies the webhook receiver accepted, one per idempotency key."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def webhook_receiver(*, honour_idempotency: bool = True) -> Iterator[Hooks]:
    """An HTTP receiver on a free loopback port; a repeated ``Idempotency-Key`` is answered
    200 again but not stored twice (``honour_idempotency=False`` stores every post, to catch a
    sender that posts twice)."""
    hooks = Hooks()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            key = self.headers.get("Idempotency-Key") or f"none-{len(hooks.bodies)}"
            with lock:
                if key not in hooks.keys or not honour_idempotency:
                    hooks.keys.add(key)
                    hooks.bodies.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"id": "wh-1"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    hooks.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()
