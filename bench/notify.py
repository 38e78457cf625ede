"""Notify from the bus to a local HTTP sink: pages/s delivered and event-to-delivery latency (p50, p99).

N `firebreak.escalation.step_fired.v1` events (one incident each, paging one user whose contact is a signed
webhook) are published to RabbitMQ; the notify consumer (inbox, incident copy, delivery record, leased job, one
transaction per event) and the notify scheduler (the job worker: claim + lease, POST outside any transaction,
record) run as their own processes (`firebreak serve notify consumer|scheduler`), on a private PostgreSQL and
RabbitMQ started for the run. The sink is a threaded HTTP
server on 127.0.0.1 answering 200. Latency: from the publish of an event to the sink receiving its page.
It prints figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/notify.py [--events 1000] [--rate 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kombu import Connection, Producer  # noqa: E402
from sqlalchemy import text  # noqa: E402

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, ServiceProcess, wait_for  # noqa: E402
from firebreak.registry import definition  # noqa: E402
from firebreak.setup import declare_queues, migrate_database  # noqa: E402
from libs.common import log  # noqa: E402
from libs.common.envelope import Event  # noqa: E402
from libs.common.topology import EVENTS  # noqa: E402

STEP_FIRED = "firebreak.escalation.step_fired.v1"


class Sink:
    """Records when each incident's page arrived."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with sink.lock:
                    sink.arrived.setdefault(body["incident"]["id"], time.perf_counter())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.request_queue_size = 256  # the worker opens a connection per call, many at once
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def recorded(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()


def step(incident_id: str) -> Event:
    data = {"escalation_id": str(uuid.uuid4()), "incident_id": incident_id, "team": "sre", "level": 0,
            "at": "2026-03-01T00:00:00+00:00", "step": 1, "round": 1, "users": ["oncall"], "targets": [],
            "timeout_seconds": 300, "trigger": "step", "token": 1,
            "incident": {"id": incident_id, "reference": f"INC-{incident_id[:6]}", "title": "Bench page",
                         "severity": "critical", "priority": "critical", "status": "new", "team": "sre",
                         "commander": None, "private": False}}
    return Event(type=STEP_FIRED, source="/firebreak/escalation", data=data, subject=incident_id, sequence=1)


def run(events: int, timeout: float, rate: float = 0) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="firebreak-bench-notify-"))
    postgres, rabbitmq = LocalPostgres().start(), LocalRabbitMQ(tmp / "rabbitmq").start()
    processes: list[ServiceProcess] = []
    try:
        env = {"FIREBREAK_NOTIFY_DATABASE_URL": postgres.create_database("bench_notify"), "AMQP_URL": rabbitmq.url,
               "FIREBREAK_JWT_SECRET": "bench-secret-" + "x" * 40, "FIREBREAK_DATA_DIR": str(tmp / "data"),
               "FIREBREAK_LOG_LEVEL": "WARNING", "FIREBREAK_PREFETCH": "100"}
        log.configure("WARNING")
        service = definition("notify")
        runtime = service.runtime(env)
        migrate_database(service, runtime.settings)
        declare_queues(service, runtime.settings)
        sink = Sink()
        client = service.create_app(runtime=runtime).test_client()
        from libs.common.auth import mint

        token = mint(runtime.settings.auth, "bench", "admin")
        client.post("/v1/contacts", headers={"Authorization": f"Bearer {token}"}, json={
            "user": "oncall", "methods": [{"kind": "webhook", "address": sink.url, "secret": "bench-secret"}]})
        # The consumer and the scheduler (job worker) run as their own processes, as deployed.
        proc_env = {**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
                    "DATABASE_URL": env["FIREBREAK_NOTIFY_DATABASE_URL"], "FIREBREAK_LOG_LEVEL": "INFO"}
        processes = [ServiceProcess("notify", kind, proc_env, tmp / "logs").start()
                     for kind in ("consumer", "scheduler")]
        wait_for(lambda: all("started" in p.log() for p in processes), timeout=60, what="notify processes")
        time.sleep(1.0)

        batch = [step(str(uuid.uuid4())) for _ in range(events)]
        published: dict[str, float] = {}
        started = time.perf_counter()
        with Connection(rabbitmq.url) as conn:
            producer = Producer(conn.channel(), exchange=EVENTS)
            for n, event in enumerate(batch):
                if rate:
                    time.sleep(max(0.0, started + n / rate - time.perf_counter()))
                published[event.subject] = time.perf_counter()
                producer.publish(event.body().encode(), routing_key=event.type, headers=event.headers(),
                                 content_type="application/json", content_encoding="utf-8", delivery_mode=2)
        publish_done = time.perf_counter() - started
        deadline = time.monotonic() + timeout
        recorded_at = None
        while len(sink.arrived) < events and time.monotonic() < deadline:
            time.sleep(0.02)
            if recorded_at is None and recorded(runtime) >= events:
                recorded_at = time.perf_counter() - started
        elapsed = time.perf_counter() - started
        latencies = [sink.arrived[i] - published[i] for i in sink.arrived if i in published]
        print(f"events published         {events} (publishing took {publish_done:.2f} s)")
        print(f"pages delivered          {len(sink.arrived)} in {elapsed:.2f} s")
        if recorded_at is not None:
            print(f"consumer: all recorded   after {recorded_at:.2f} s ({events / recorded_at:.1f} events/s)")
        print(f"throughput               {len(sink.arrived) / elapsed:.1f} events/s, bus to delivered")
        if latencies:
            print(f"event-to-delivery p50    {percentile(latencies, 50) * 1000:.0f} ms")
            print(f"event-to-delivery p99    {percentile(latencies, 99) * 1000:.0f} ms")
            print(f"event-to-delivery max    {max(latencies) * 1000:.0f} ms")
        runtime.dispose()
    finally:
        for process in processes:
            process.stop()
        rabbitmq.stop()
        postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--rate", type=float, default=0,
                        help="publish at this many events/s (default: all at once); latency without a backlog")
    args = parser.parse_args()
    run(args.events, args.timeout, args.rate)


if __name__ == "__main__":
    main()
