"""The pager: an HTTP receiver on 127.0.0.1 that checks each page's signature and keeps its Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "soak-webhook-secret"


def verify_signature(secret: str, raw_body: bytes, header: str, tolerance: int = 300) -> bool:
    """services/notify/README.md's check: HMAC-SHA256 over "<t>.<raw body>", timestamp within tolerance."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", "0"))
    except ValueError:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True)
class Page:
    at: float  # time.monotonic() on arrival
    incident_id: str
    title: str
    key: str
    signed: bool
    ack_url: str | None


class Pager:
    """Answers 200 to every POST; calls `on_page` for each page whose signature is good (the first per incident)."""

    def __init__(self, on_page: Callable[[Page], None]):
        self.pages: list[Page] = []
        self._index: dict[str, list[Page]] = {}
        self.unreadable = 0
        self.lock = threading.Lock()
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                pager.record(raw, self.headers.get("Firebreak-Signature", ""), self.headers.get("Idempotency-Key"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.on_page = on_page
        ThreadingHTTPServer.request_queue_size = 256
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"

    def record(self, raw: bytes, signature: str, key: str | None) -> None:
        try:
            body = json.loads(raw)
            incident = body["incident"]
            page = Page(time.monotonic(), incident["id"], incident.get("title") or "", key or "",
                        verify_signature(SECRET, raw, signature), body.get("ack_url"))
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.unreadable += 1
            return
        with self.lock:
            first = page.incident_id not in self._index
            self.pages.append(page)
            self._index.setdefault(page.incident_id, []).append(page)
        if first and page.signed:
            self.on_page(page)

    def by_incident(self) -> dict[str, list[Page]]:
        with self.lock:
            return {k: list(v) for k, v in self._index.items()}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
