"""bench/e2e.py's baseline: the alert-to-page hops done with raw psycopg and pika, three processes.

    intake      HTTP POST -> commit 1 (incident row + outbox row) -> 202; a thread publishes it, confirmed
    escalation  consume -> commit 2 (chain row + outbox row) -> publish, confirmed -> ack
    notify      consume -> commit 3 (job row) -> ack -> one HTTP POST to the page receiver

Three commits, two confirmed publishes, one HTTP call, as in issue 15. Nothing polls: each hop is handed
on at once (a queue.Queue in the intake, four publisher threads, the broker's push delivery after that), so
this is the floor the hops themselves cost. The consumers take one message at a time, as Firebreak's do.
Run by bench/e2e.py as `python -m bench.e2e_baseline STAGE` with BASELINE_* env.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pika
import psycopg

from firebreak.devstack import ServiceProcess

EXCHANGE = "bench.baseline"
QUEUES = {"escalation": ("bench.baseline.escalation", "incident.created"),
          "notify": ("bench.baseline.notify", "escalation.step_fired")}
# The intake's publishers, a connection each: their confirms overlap, as the relay's pipelined confirms do.
PUBLISHERS = 4
SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (id uuid PRIMARY KEY, title text NOT NULL, dedup_key text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS chains (id uuid PRIMARY KEY, incident_id uuid NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS outbox (id bigserial PRIMARY KEY, routing_key text NOT NULL, body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS jobs (id bigserial PRIMARY KEY, key text NOT NULL UNIQUE, body jsonb NOT NULL,
    due_at timestamptz NOT NULL DEFAULT now());
"""


def prepare(dsn: str, amqp_url: str) -> None:
    """Tables, the exchange and two quorum queues (as Firebreak's), created before the stages start."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    for name, routing_key in QUEUES.values():
        channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(name, EXCHANGE, routing_key)
    connection.close()


class StageProcess(ServiceProcess):
    """`python -m bench.e2e_baseline STAGE`, with stop(), alive() and log() of ServiceProcess."""

    def start(self) -> StageProcess:
        import subprocess

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.e2e_baseline", self.kind], env=self.env,
                                     cwd=Path(__file__).resolve().parents[1], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        return self


def _publisher(amqp_url: str) -> tuple[pika.BlockingConnection, pika.adapters.blocking_connection.BlockingChannel]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.confirm_delivery()  # basic_publish now returns once the broker confirmed (raises on a nack)
    return connection, channel


def _publish(channel, routing_key: str, body: bytes) -> None:
    channel.basic_publish(EXCHANGE, routing_key, body, pika.BasicProperties(
        delivery_mode=2, content_type="application/json"), mandatory=True)


def intake(dsn: str, amqp_url: str, port: int) -> None:
    outgoing: queue.Queue = queue.Queue()
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn

        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802 - http.server's name
            alert = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if getattr(local, "conn", None) is None:
                local.conn = psycopg.connect(dsn)
            incident = {"id": str(uuid.uuid4()), "title": alert["summary"], "dedup_key": alert["dedup_key"]}
            event = {"type": "incident.created", "incident": incident, "hops": {"received": time.time()}}
            with local.conn.transaction():  # commit 1
                local.conn.execute("INSERT INTO incidents (id, title, dedup_key) VALUES (%s, %s, %s)",
                                   (incident["id"], incident["title"], incident["dedup_key"]))
                local.conn.execute("INSERT INTO outbox (routing_key, body) VALUES (%s, %s)",
                                   ("incident.created", json.dumps(event)))
            event["hops"]["committed1"] = time.time()
            outgoing.put(event)
            answer = json.dumps({"status": "accepted", "outcomes": ["new_incident"],
                                 "incidents": [incident["id"]]}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    def publish_forever() -> None:
        _, channel = _publisher(amqp_url)
        while True:
            event = outgoing.get()
            event["hops"]["dequeued1"] = time.time()
            _publish(channel, "incident.created", json.dumps(event).encode())  # confirmed publish 1

    for _ in range(PUBLISHERS):
        threading.Thread(target=publish_forever, daemon=True).start()
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def consume(stage: str, on_message) -> None:
    connection, out = _publisher(os.environ["BASELINE_AMQP_URL"])
    channel = connection.channel()
    channel.basic_qos(prefetch_count=50)  # FIREBREAK_PREFETCH's default
    channel.basic_consume(QUEUES[stage][0], lambda ch, method, _props, body: on_message(ch, method, body, out))
    print("ready", flush=True)
    channel.start_consuming()


def escalation(dsn: str) -> None:
    conn = psycopg.connect(dsn)

    def on_message(channel, method, body: bytes, out) -> None:
        event = json.loads(body)
        incident, hops = event["incident"], event["hops"] | {"consumed2": time.time()}
        step = json.dumps({"type": "escalation.step_fired", "users": ["oncall"], "incident": incident, "hops": hops})
        with conn.transaction():  # commit 2
            conn.execute("INSERT INTO chains (id, incident_id) VALUES (%s, %s)", (str(uuid.uuid4()), incident["id"]))
            conn.execute("INSERT INTO outbox (routing_key, body) VALUES (%s, %s)", ("escalation.step_fired", step))
        _publish(out, "escalation.step_fired", step.encode())  # confirmed publish 2
        channel.basic_ack(method.delivery_tag)

    consume("escalation", on_message)


def notify(dsn: str, receiver: str) -> None:
    conn = psycopg.connect(dsn)
    target = urlsplit(receiver)

    def on_message(channel, method, body: bytes, _out) -> None:
        step = json.loads(body)
        step["hops"]["consumed3"] = time.time()
        page = json.dumps({"type": "page", "recipient": "oncall", "incident": step["incident"], "hops": step["hops"]})
        with conn.transaction():  # commit 3
            conn.execute("INSERT INTO jobs (key, body) VALUES (%s, %s)", (step["incident"]["id"] + ":oncall", page))
        channel.basic_ack(method.delivery_tag)
        call = http.client.HTTPConnection(target.hostname, target.port, timeout=10)  # a connection per call, as
        call.request("POST", target.path, body=page, headers={"Content-Type": "application/json"})  # notify's
        call.getresponse().read()
        call.close()

    consume("notify", on_message)


def main() -> None:
    stage, dsn = sys.argv[1], os.environ["BASELINE_DSN"]
    if stage == "intake":
        intake(dsn, os.environ["BASELINE_AMQP_URL"], int(os.environ["BASELINE_PORT"]))
    elif stage == "escalation":
        escalation(dsn)
    else:
        notify(dsn, os.environ["BASELINE_RECEIVER"])


if __name__ == "__main__":
    main()
