"""Running a service's consumer, relay or scheduler as a process, stopped cleanly by SIGTERM."""

from __future__ import annotations

import json
import logging
import signal
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from libs.common.health import readiness
from libs.common.metrics import ScrapeTimeGauge, render
from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition

logger = logging.getLogger(__name__)


def start(service: ServiceDefinition, runtime: ServiceRuntime, kind: str, stop: threading.Event) -> threading.Thread:
    """Start one background loop of `kind` in a thread."""
    if kind == "consumer":
        consumer = service.consumer(runtime)
        target = lambda: consumer.run_until(stop)  # noqa: E731
    elif kind == "relay":
        target = lambda: service.relay(runtime).run(stop)  # noqa: E731
    elif kind == "scheduler":
        target = lambda: service.scheduler(runtime).run(stop)  # noqa: E731
    else:
        raise ValueError(f"unknown process kind {kind!r}")
    thread = threading.Thread(target=target, name=f"{service.name}-{kind}", daemon=True)
    thread.start()
    return thread


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve_probes(runtime: ServiceRuntime, port: int, threads: list[threading.Thread]) -> None:
    """/healthz (alive while its loops run), /readyz (database and broker) and /metrics, for workers."""
    outbox = ScrapeTimeGauge("firebreak_outbox_pending", "Events committed but not yet confirmed by the broker.",
                             {"service": runtime.service}, runtime.outbox_pending)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body, content_type = render([outbox])
            start_response("200 OK", [("Content-Type", content_type)])
            return [body]
        if path == "/healthz":
            alive = all(t.is_alive() for t in threads)
            start_response("200 OK" if alive else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"status":"ok"}' if alive else b'{"status":"dead"}']
        if path == "/readyz":
            checks = readiness(runtime)
            ready = all(v == "ok" for v in checks.values())
            start_response("200 OK" if ready else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [json.dumps({"status": "ready" if ready else "not ready", "checks": checks}).encode()]
        start_response("404 Not Found", [("Content-Type", "application/problem+json")])
        return [b'{"type":"about:blank","title":"Not Found","status":404}']

    server = make_server("0.0.0.0", port, app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()


def run(service: ServiceDefinition, kind: str, probe_port: int) -> None:
    """Run one process kind of one service until SIGTERM or SIGINT."""
    runtime = service.runtime()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = start(service, runtime, kind, stop)
    if probe_port:
        serve_probes(runtime, probe_port, [thread])
    logger.info("started", extra={"fields": {"service": service.name, "process": kind}})
    while thread.is_alive() and not stop.is_set():
        stop.wait(1.0)
    stop.set()
    thread.join(timeout=30)
    runtime.dispose()
