"""The idempotent consumer on RabbitMQ and PostgreSQL: duplicates, poison messages, dead letters."""

from __future__ import annotations

import threading
import uuid

import pytest
from kombu import Connection, Producer, Queue

from firebreak.devstack import wait_for
from firebreak.registry import definition
from firebreak.setup import declare_queues, migrate_database
from libs.common.envelope import Event
from libs.common.projection import INCIDENT_CREATED, record_incident
from libs.common.topology import DLX, EVENTS, dlq_name
from tests.integration.helpers import query


def incident_event(title: str = "Latency", incident_id: str | None = None) -> Event:
    incident_id = incident_id or str(uuid.uuid4())
    return Event(type=INCIDENT_CREATED, source="/firebreak/incident", subject=incident_id, sequence=1, data={
        "id": incident_id, "reference": "INC-20260101-ABCDEF", "title": title, "severity": "major",
        "priority": "high", "status": "new", "team": None, "private": False, "created_by": "alice",
        "created_at": "2026-01-01T00:00:00+00:00"})


def publish(url: str, *events: Event, headers: dict | None = None, body: bytes | None = None) -> None:
    with Connection(url) as conn:
        producer = Producer(conn.channel(), exchange=EVENTS)
        for event in events:
            producer.publish(body if body is not None else event.body().encode(), routing_key=event.type,
                             headers={**event.headers(), **(headers or {})}, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2)


@pytest.fixture
def sla(stack):
    """The sla service's runtime on its own PostgreSQL database, queues declared on the real broker."""
    service = definition("sla")
    runtime = service.runtime(stack.service_env("sla", FIREBREAK_LOG_LEVEL="WARNING"))
    migrate_database(service, runtime.settings)
    declare_queues(service, runtime.settings)
    yield runtime
    runtime.dispose()


def run_consumer(runtime, handlers):
    from libs.common.consumer import EventConsumer

    stop = threading.Event()
    consumer = EventConsumer(runtime, handlers)
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def count(runtime, sql: str) -> int:
    return query(runtime.settings.database_url, sql)[0][0]


def dead_letters(url: str, service: str, expected: int) -> list:
    received = []
    with Connection(url) as conn:
        queue = Queue(dlq_name(service), exchange=DLX, routing_key=dlq_name(service))(conn.channel())

        def take():
            msg = queue.get(no_ack=False)
            if msg is not None:
                received.append(msg)
                msg.ack()
            return len(received) >= expected

        wait_for(take, timeout=30, what=f"{expected} dead letter(s)")
    return received


def test_same_event_delivered_twice_takes_effect_once(stack, sla):
    handled = []
    table = sla.metadata.tables["known_incidents"]
    inner = record_incident(table)

    def handler(uow, event, data):
        handled.append(event.id)
        inner(uow, event, data)

    stop, thread = run_consumer(sla, {INCIDENT_CREATED: handler})
    event = incident_event()
    publish(stack.rabbitmq.url, event, event)  # the same ce-id twice, as a relay retry would send it
    follower = incident_event("after")
    publish(stack.rabbitmq.url, follower)
    wait_for(lambda: count(sla, "SELECT count(*) FROM known_incidents") == 2, what="both incidents recorded")
    wait_for(lambda: stack.rabbitmq.queue_depth("firebreak.sla") == 0, what="queue drained")
    stop.set()
    thread.join(10)
    assert handled.count(event.id) == 1
    assert count(sla, "SELECT count(*) FROM inbox") == 2


def test_failing_handler_dead_letters_after_limit_with_error_and_queue_keeps_flowing(stack, sla):
    poison = incident_event("poison")
    attempts = []
    table = sla.metadata.tables["known_incidents"]
    inner = record_incident(table)

    def handler(uow, event, data):
        if data["title"] == "poison":
            attempts.append(event.id)
            raise RuntimeError("pager gateway exploded")
        inner(uow, event, data)

    stop, thread = run_consumer(sla, {INCIDENT_CREATED: handler})
    healthy = [incident_event(f"healthy {i}") for i in range(5)]
    publish(stack.rabbitmq.url, poison, *healthy)

    wait_for(lambda: count(sla, "SELECT count(*) FROM known_incidents") == 5, what="healthy events handled")
    [dead] = dead_letters(stack.rabbitmq.url, "sla", 1)
    stop.set()
    thread.join(10)

    assert len(attempts) == 3  # FIREBREAK_DELIVERY_LIMIT
    assert dead.headers["ce-id"] == poison.id
    assert dead.headers["x-firebreak-reason"] == "handler_failed"
    assert "RuntimeError: pager gateway exploded" in dead.headers["x-firebreak-error"]
    assert dead.headers["x-firebreak-attempts"] == 3
    assert count(sla, "SELECT count(*) FROM inbox") == 5  # the poison left no partial effect


@pytest.mark.parametrize("case, headers, body, reason", [
    ("not json", {}, b"{nope", "malformed"),
    ("missing field", {}, b'{"id": "x"}', "invalid"),
    ("no ce-id", {"ce-id": ""}, None, "malformed"),
])
def test_poison_messages_go_straight_to_dlq_with_reason(stack, sla, case, headers, body, reason):
    stop, thread = run_consumer(sla, {INCIDENT_CREATED: record_incident(sla.metadata.tables["known_incidents"])})
    publish(stack.rabbitmq.url, incident_event(), headers=headers, body=body)
    [dead] = dead_letters(stack.rabbitmq.url, "sla", 1)
    stop.set()
    thread.join(10)
    assert dead.headers["x-firebreak-reason"] == reason, case
    assert dead.headers["x-firebreak-error"]
    assert count(sla, "SELECT count(*) FROM inbox") == 0
