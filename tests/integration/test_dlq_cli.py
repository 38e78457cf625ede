"""`firebreak dlq list|replay|drop` on the real broker: replayed letters are handled once, however often."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from kombu import Connection, Producer

from firebreak.devstack import wait_for
from firebreak.registry import definition
from firebreak.setup import declare_queues, migrate_database
from libs.common.metrics import events_consumed
from libs.common.projection import INCIDENT_CREATED
from libs.common.topology import DLX, dlq_name
from tests.integration.helpers import query
from tests.integration.test_consumer import incident_event


def dead_letter(url: str, service: str, event, reason: str = "handler_failed") -> None:
    with Connection(url) as conn:
        Producer(conn.channel()).publish(
            event.body().encode(), exchange=DLX, routing_key=dlq_name(service),
            headers={**event.headers(), "x-firebreak-reason": reason, "x-firebreak-error": "boom",
                     "x-firebreak-attempts": 3}, content_type="application/json", content_encoding="utf-8",
            delivery_mode=2)


def cli(stack, *args: str) -> tuple[list[dict], str]:
    done = subprocess.run([sys.executable, "-m", "firebreak", "dlq", *args], env=stack.service_env("sla"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def records(stack) -> int:
    return query(stack.service_env("sla")["DATABASE_URL"], "SELECT count(*) FROM sla_records")[0][0]


def test_list_replay_and_drop_dead_letters(stack):
    service = definition("sla")
    runtime = service.runtime(stack.service_env("sla", FIREBREAK_LOG_LEVEL="WARNING"))
    migrate_database(service, runtime.settings)
    declare_queues(service, runtime.settings)
    url = stack.rabbitmq.url
    first, second, junk = incident_event("first"), incident_event("second"), incident_event("junk")
    for event in (first, second, first, junk):  # `first` was dead-lettered twice: a replay must apply it once
        dead_letter(url, "sla", event)

    listed, _ = cli(stack, "list", "--service", "sla")
    assert [letter["event_id"] for letter in listed] == [first.id, second.id, first.id, junk.id]
    assert listed[0]["reason"] == "handler_failed" and listed[0]["error"] == "boom"
    relisted, _ = cli(stack, "list", "--service", "sla")
    assert [letter["event_id"] for letter in relisted] == [first.id, second.id, first.id, junk.id]  # left in place

    dropped, _ = cli(stack, "drop", "--service", "sla", "--id", junk.id)
    assert [letter["event_id"] for letter in dropped] == [junk.id]

    replayed, _ = cli(stack, "replay", "--service", "sla", "--id", first.id, "--id", second.id)
    assert sorted(letter["event_id"] for letter in replayed) == sorted([first.id, second.id, first.id])
    again, _ = cli(stack, "replay", "--service", "sla")
    assert again == []
    assert cli(stack, "list", "--service", "sla")[0] == []

    stop = threading.Event()
    consumer = service.consumer(runtime)
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    thread.start()
    try:
        duplicates = events_consumed.labels("sla", INCIDENT_CREATED, "duplicate")
        seen = duplicates._value.get()
        wait_for(lambda: records(stack) == 2, timeout=30, what="two SLA records")
        wait_for(lambda: duplicates._value.get() == seen + 1, timeout=30, what="the second copy of `first`, ignored")
        assert records(stack) == 2
        assert cli(stack, "list", "--service", "sla")[0] == []  # nothing failed on the way
    finally:
        stop.set()
        thread.join(timeout=10)
        runtime.dispose()


def test_drop_without_ids_or_all_refuses(stack):
    done = subprocess.run([sys.executable, "-m", "firebreak", "dlq", "drop", "--service", "sla"],
                          env=stack.service_env("sla"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--all" in done.stderr
