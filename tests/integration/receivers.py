"""Real receivers on 127.0.0.1 for notify's tests: an HTTP server that records (and fails or stalls as told)
and an aiosmtpd SMTP server that keeps what it is sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self):
        return json.loads(self.body)


@dataclass
class Behaviour:
    fail_first: int = 0  # answer 503 to the first n requests
    always_status: int | None = None
    stall_first: float = 0.0  # hold the first request this long before answering
    seen: int = 0


@dataclass
class HttpReceiver:
    """Records every POST; per path it may fail the first n, always answer a status, or stall the first one."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, stall = receiver._decide(self.path)
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, status))
                if stall:
                    time.sleep(stall)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": %s}' % (b"true" if status < 300 else b"false"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _decide(self, path: str) -> tuple[int, float]:
        with self.lock:
            b = self.behaviours.setdefault(path, Behaviour())
            b.seen += 1
            if b.always_status:
                return b.always_status, 0.0
            stall = b.stall_first if b.seen == 1 else 0.0
            return (503 if b.seen <= b.fail_first else 200), stall

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 keeping each message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
                message = message_from_bytes(envelope.content, policy=policy.default)
                receiver.messages.append((envelope.rcpt_tos, message))
                return "250 Message accepted for delivery"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.controller.stop()
