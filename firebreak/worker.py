"""Running a service's consumer, relay or scheduler as a process, stopped cleanly by SIGTERM."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from libs.common.health import readiness
from libs.common.jobs import PendingJobsGauge
from libs.common.metrics import ScrapeTimeGauge, render
from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition

logger = logging.getLogger(__name__)


def start(service: ServiceDefinition, runtime: ServiceRuntime, kind: str, stop: threading.Event,
          collectors: list | None = None) -> list[threading.Thread]:
    """Start the background loops of `kind`, a thread each; `scheduler` runs the timers and the leased jobs.

    Scrape-time gauges of the loops started (pending jobs) are appended to `collectors` if given.
    """
    loops: list[tuple[str, Callable[[], None]]] = []
    if kind == "consumer":
        consumer = service.consumer(runtime)
        loops.append((kind, lambda: consumer.run_until(stop)))
    elif kind == "relay":
        loops.append((kind, lambda: service.relay(runtime).run(stop)))
    elif kind == "scheduler":
        if service.timer_handlers() or service.batch_timer_handlers():
            loops.append((kind, lambda: service.scheduler(runtime).run(stop)))
        if service.job_worker is not None:
            jobs = service.job_worker(runtime)
            loops.append(("jobs", lambda: jobs.run(stop)))
            if collectors is not None:
                collectors.append(PendingJobsGauge(runtime, jobs.table))
    else:
        raise ValueError(f"unknown process kind {kind!r}")
    if not loops:
        raise ValueError(f"{service.name} has nothing to run as {kind!r}")
    threads = []
    for name, target in loops:
        thread = threading.Thread(target=target, name=f"{service.name}-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve_probes(runtime: ServiceRuntime, port: int, threads: list[threading.Thread], extra: tuple | list = ()) -> None:
    """/healthz (alive while its loops run), /readyz (database and broker) and /metrics, for workers."""
    outbox = ScrapeTimeGauge("firebreak_outbox_pending", "Events committed but not yet confirmed by the broker.",
                             {"service": runtime.service}, runtime.outbox_pending)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body, content_type = render([outbox, *extra])
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
    collectors: list = []
    threads = start(service, runtime, kind, stop, collectors)
    if probe_port:
        serve_probes(runtime, probe_port, threads, collectors)
    logger.info("started", extra={"fields": {"service": service.name, "process": kind}})
    while all(t.is_alive() for t in threads) and not stop.is_set():
        stop.wait(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    runtime.dispose()
