"""Events/s through Firebreak's bus path against a raw pika baseline, measured in the same run.

Firebreak path: incident outbox -> Relay (batched publisher confirms) -> RabbitMQ quorum queue
-> postmortem EventConsumer (inbox row + projection row per event, one transaction, ack after commit).
Baseline: pika BlockingChannel with confirm_delivery(), one publish-and-wait-for-confirm per message,
persistent messages of the same headers and body, consumed and acked one by one on a second connection.

Both run on a private PostgreSQL and RabbitMQ started for the run on 127.0.0.1 and stopped at the end.
It prints figures only; nothing is asserted. Run from the repo root:

    .venv/bin/python bench/bus.py [--events 5000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
from kombu import Connection  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from firebreak.devstack import LocalPostgres, LocalRabbitMQ  # noqa: E402
from firebreak.registry import definitions  # noqa: E402
from firebreak.setup import declare_queues, migrate_database  # noqa: E402
from libs.common import log  # noqa: E402
from libs.common.envelope import utcnow  # noqa: E402
from libs.common.runtime import ServiceRuntime  # noqa: E402
from libs.common.service import ServiceDefinition  # noqa: E402
from services.incident.domain.model import Incident  # noqa: E402
from services.incident.events import INCIDENT_CREATED  # noqa: E402

JWT_SECRET = "bench-secret-" + "x" * 40
EVENTS_PER_TRANSACTION = 10
POLL_SECONDS = 0.02
# Tuning a caller may set in the environment; everything else the benchmark sets itself.
PASSED_THROUGH = ("FIREBREAK_RELAY_BATCH", "FIREBREAK_PREFETCH", "FIREBREAK_RELAY_IDLE_SECONDS",
                  "FIREBREAK_LOG_LEVEL")


class BenchTimeout(RuntimeError):
    """A phase did not finish within --timeout seconds."""


@dataclass
class Figure:
    path: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


# -- the stack ---------------------------------------------------------------------------------

class Stack:
    """A private PostgreSQL and RabbitMQ, listening on 127.0.0.1 only; stop() tolerates half a start."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="firebreak-bench-"))
        self.postgres: LocalPostgres | None = None
        self.rabbitmq: LocalRabbitMQ | None = None

    def start(self) -> Stack:
        self.postgres = LocalPostgres()
        self.postgres.start()
        self.rabbitmq = LocalRabbitMQ(self.tmp / "rabbitmq")
        self.rabbitmq.start()
        return self

    def env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
        env.setdefault("FIREBREAK_LOG_LEVEL", "WARNING")
        env.update({
            "AMQP_URL": self.rabbitmq.url,
            "FIREBREAK_JWT_SECRET": JWT_SECRET,
            "FIREBREAK_DATA_DIR": str(self.tmp / "data"),
            "FIREBREAK_INCIDENT_DATABASE_URL": self.postgres.create_database("bench_incident"),
            "FIREBREAK_POSTMORTEM_DATABASE_URL": self.postgres.create_database("bench_postmortem"),
        })
        return env

    def pika_parameters(self) -> pika.ConnectionParameters:
        # pika reads the vhost of kombu's "amqp://...//" URL as "", so spell it out.
        return pika.ConnectionParameters(host="127.0.0.1", port=self.rabbitmq.port, virtual_host="/",
                                         credentials=pika.PlainCredentials("guest", "guest"))

    def stop(self) -> None:
        for server in (self.rabbitmq, self.postgres):
            if server is None:
                continue
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - stop the other one regardless
                print(f"warning: could not stop {type(server).__name__}: {exc!r}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)


def join(thread: threading.Thread, timeout: float) -> None:
    thread.join(timeout)
    if thread.is_alive():
        print(f"warning: thread {thread.name} still running after {timeout:g}s", file=sys.stderr)


# -- the Firebreak path ------------------------------------------------------------------------

def prefill(service: ServiceDefinition, runtime: ServiceRuntime, events: int) -> None:
    """Queue `events` incident.created events in the outbox, a few per transaction (not timed)."""
    written = 0
    while written < events:
        with service.uow_class(runtime) as uow:
            for _ in range(min(EVENTS_PER_TRANSACTION, events - written)):
                incident = Incident.declare(str(uuid.uuid4()), f"Checkout p99 latency above SLO ({written})",
                                            "major", "high", "alice@example.com", utcnow(), team="payments")
                data = {**incident.snapshot(), "changes": {"status": {"old": None, "new": "new"}},
                        "actor": incident.created_by, "occurred_at": incident.created_at.isoformat()}
                uow.emit(INCIDENT_CREATED, data, subject=incident.id, sequence=incident.sequence)
                written += 1
            uow.commit()


def sample_message(runtime: ServiceRuntime) -> tuple[dict, bytes]:
    """The headers and body of one prefilled outbox row, for a baseline of the same size."""
    outbox = runtime.tables.outbox
    with runtime.engine.connect() as conn:
        row = conn.execute(select(outbox.c.headers, outbox.c.body).order_by(outbox.c.id).limit(1)).one()
    return dict(row.headers), row.body.encode()


def count_rows(runtime: ServiceRuntime, table_name: str) -> int:
    table = runtime.metadata.tables[table_name]
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def run_firebreak(incident: ServiceDefinition, inc_rt: ServiceRuntime, sink: ServiceDefinition,
                  sink_rt: ServiceRuntime, events: int, timeout: float) -> tuple[Figure, Figure]:
    """Start the postmortem consumer, then the incident relay; time until the postmortem inbox holds every event."""
    stop = threading.Event()
    consumer = sink.consumer(sink_rt)
    consumer_thread = threading.Thread(target=consumer.run_until, args=(stop,), name="postmortem-consumer",
                                       daemon=True)
    relay_thread = threading.Thread(target=incident.relay(inc_rt).run, args=(stop,), name="incident-relay",
                                    daemon=True)
    consumer_thread.start()
    try:
        if not consumer.connected.wait(60):
            raise BenchTimeout("the postmortem consumer did not connect within 60s")
        start = time.perf_counter()
        relay_thread.start()
        deadline = time.monotonic() + timeout
        relayed_at = consumed_at = None
        while consumed_at is None:
            now = time.perf_counter()
            if relayed_at is None and inc_rt.outbox_pending() == 0:
                relayed_at = now
            if count_rows(sink_rt, "inbox") >= events:
                consumed_at = now
                break
            if time.monotonic() > deadline:
                raise BenchTimeout(f"firebreak path: {count_rows(sink_rt, 'inbox')}/{events} in the inbox "
                                   f"after {timeout:g}s ({inc_rt.outbox_pending()} still in the outbox)")
            time.sleep(POLL_SECONDS)
    finally:
        stop.set()
        if relay_thread.is_alive():
            join(relay_thread, 40)
        join(consumer_thread, 15)
    relayed_at = relayed_at if relayed_at is not None else consumed_at
    return (Figure("firebreak end to end", events, consumed_at - start),
            Figure("  relay: outbox empty", events, relayed_at - start))


# -- the raw pika baseline ---------------------------------------------------------------------

def run_pika(params: pika.ConnectionParameters, events: int, headers: dict, body: bytes, prefetch: int,
             queue_type: str, timeout: float) -> tuple[Figure, Figure]:
    """Publish-with-confirm one message at a time; a consumer thread acks each; time until all consumed."""
    exchange, queue = "bench.pika", f"bench.pika.{uuid.uuid4().hex[:8]}"
    arguments = {"x-queue-type": queue_type}
    setup = pika.BlockingConnection(params)
    try:
        channel = setup.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.queue_declare(queue, durable=True, arguments=arguments)
        channel.queue_bind(queue, exchange, routing_key=INCIDENT_CREATED)
    finally:
        setup.close()

    ready, done, stop = threading.Event(), threading.Event(), threading.Event()
    state = {"received": 0, "done_at": None, "error": None}

    def consume() -> None:
        try:
            conn = pika.BlockingConnection(params)
            try:
                ch = conn.channel()
                ch.basic_qos(prefetch_count=prefetch)

                def on_message(ch, method, _properties, _body) -> None:
                    ch.basic_ack(method.delivery_tag)
                    state["received"] += 1
                    if state["received"] >= events:
                        state["done_at"] = time.perf_counter()
                        done.set()

                ch.basic_consume(queue, on_message)
                ready.set()
                while not done.is_set() and not stop.is_set():
                    conn.process_data_events(time_limit=0.1)
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            state["error"] = exc
            ready.set()
            done.set()

    consumer = threading.Thread(target=consume, name="pika-consumer", daemon=True)
    consumer.start()
    publisher = pika.BlockingConnection(params)
    try:
        if not ready.wait(60):
            raise BenchTimeout("the pika consumer did not start within 60s")
        channel = publisher.channel()
        channel.confirm_delivery()
        properties = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                          delivery_mode=pika.DeliveryMode.Persistent, headers=headers,
                                          message_id=headers.get("ce-id"))
        deadline = time.monotonic() + timeout
        start = time.perf_counter()
        for _ in range(events):
            # With confirm_delivery() this returns once the broker confirmed; a nack raises.
            channel.basic_publish(exchange, INCIDENT_CREATED, body, properties)
            if time.monotonic() > deadline:
                raise BenchTimeout(f"pika baseline: still publishing after {timeout:g}s")
        published_at = time.perf_counter()
        if not done.wait(max(deadline - time.monotonic(), 0)):
            raise BenchTimeout(f"pika baseline: {state['received']}/{events} consumed after {timeout:g}s")
        if state["error"] is not None:
            raise RuntimeError(f"pika consumer failed: {state['error']!r}")
    finally:
        stop.set()
        join(consumer, 15)
        if publisher.is_open:
            try:
                # After the consumer closed: deleting its queue under it would cancel it mid-close.
                publisher.channel().queue_delete(queue)
            finally:
                publisher.close()
    return (Figure("pika end to end", events, state["done_at"] - start),
            Figure("  publish+confirm done", events, published_at - start))


# -- main --------------------------------------------------------------------------------------

def broker_version(url: str) -> str:
    with Connection(url) as conn:
        conn.ensure_connection(max_retries=1)
        version = conn.connection.server_properties.get("version", "?")
    return version.decode() if isinstance(version, bytes) else str(version)


def print_table(figures: list[Figure]) -> None:
    print(f"{'path':<26}{'events':>8}{'seconds':>10}{'events/s':>11}")
    for fig in figures:
        print(f"{fig.path:<26}{fig.events:>8}{fig.seconds:>10.2f}{fig.rate:>11.1f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events per path (default 5000)")
    parser.add_argument("--baseline-queue", choices=("quorum", "classic"), default="quorum",
                        help="queue type of the pika baseline (default quorum, as Firebreak's queues)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="give up a phase after this many seconds (default 600)")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack = Stack()
    runtimes: list[ServiceRuntime] = []
    try:
        print("starting PostgreSQL and RabbitMQ on 127.0.0.1 ...", flush=True)
        stack.start()
        env = stack.env()
        log.configure(env["FIREBREAK_LOG_LEVEL"])
        services = definitions()
        incident, sink = services["incident"], services["postmortem"]
        inc_rt, sink_rt = incident.runtime(env), sink.runtime(env)
        runtimes += [inc_rt, sink_rt]
        migrate_database(incident, inc_rt.settings)
        migrate_database(sink, sink_rt.settings)
        declare_queues(sink, sink_rt.settings)

        began = time.perf_counter()
        prefill(incident, inc_rt, args.events)
        print(f"prefilled {args.events} events in the incident outbox in {time.perf_counter() - began:.1f}s",
              flush=True)
        headers, body = sample_message(inc_rt)
        settings = sink_rt.settings
        print(f"RabbitMQ {broker_version(stack.rabbitmq.url)}, {os.cpu_count()} cores; message: "
              f"{len(body)} B body + {len(headers)} ce- headers, persistent; relay batch "
              f"{inc_rt.settings.relay_batch}, prefetch {settings.prefetch} (both paths); firebreak queue: "
              f"quorum, pika queue: {args.baseline_queue}", flush=True)

        print("running the pika baseline ...", flush=True)
        pika_e2e, pika_pub = run_pika(stack.pika_parameters(), args.events, headers, body, settings.prefetch,
                                      args.baseline_queue, args.timeout)
        print("running the firebreak path ...", flush=True)
        fb_e2e, fb_relay = run_firebreak(incident, inc_rt, sink, sink_rt, args.events, args.timeout)

        print()
        print_table([pika_e2e, pika_pub, fb_e2e, fb_relay])
        print(f"ratio firebreak/pika = {fb_e2e.rate / pika_e2e.rate:.2f}")
        print(f"(postmortem inbox {count_rows(sink_rt, 'inbox')} rows, known_incidents "
              f"{count_rows(sink_rt, 'known_incidents')} rows, "
              f"incident outbox unsent {inc_rt.outbox_pending()})")
        return 0
    except BenchTimeout as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1
    finally:
        for runtime in runtimes:
            runtime.dispose()
        print("stopping RabbitMQ and PostgreSQL ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
