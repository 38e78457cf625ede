"""The notify service in-process on SQLite with a fake clock, and a job worker with recording senders."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.clock import FakeClock
from libs.common.envelope import Event
from libs.common.jobs import JobWorker
from services.notify.adapters import orm
from services.notify.service_layer.delivery import Performers, record

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Recorder:
    """Stands in for the HTTP, SMTP and Apprise senders: records calls, fails as told."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.failures: list[Exception] = []

    def _call(self, *args):
        self.calls.append(args)
        if self.failures:
            raise self.failures.pop(0)
        return {"ok": True}

    def post(self, url, body, headers):
        return self._call("http", url, json.loads(body), headers, body)

    def send(self, *args):
        return self._call("send", *args)


class Notify:
    def __init__(self, base_env):
        self.clock = FakeClock(START)
        self.service = definition("notify")
        env = {**base_env, "FIREBREAK_PUBLIC_URL": "https://fb.example", "FIREBREAK_NOTIFY_DIGEST_SECONDS": "60"}
        self.runtime = self.service.runtime(env, clock=self.clock)
        migrate_database(self.service, self.runtime.settings)
        self.consumer = self.service.consumer(self.runtime)
        self.senders = Recorder()
        performers = Performers(self.senders, self.senders, self.senders, self.clock)
        self.worker = JobWorker(self.runtime, orm.jobs, performers.mapping(), record, max_attempts=3,
                                base_delay=1, max_delay=1)
        self.app = self.service.create_app(runtime=self.runtime)
        self.client = self.app.test_client()

    def deliver(self, event_type: str, data: dict, sequence: int | None = None, event_id: str | None = None,
                subject: str | None = None) -> str:
        event = Event(type=event_type, source="/firebreak/test", data=data, sequence=sequence,
                      subject=subject or data.get("id") or data.get("incident_id"), time=self.clock.now(),
                      **({"id": event_id} if event_id else {}))
        loaded = self.runtime.catalog.load_incoming(event_type, event.data)
        return self.consumer.handle(event, loaded, self.consumer.handlers[event_type])

    def work(self, rounds: int = 1) -> int:
        return sum(self.worker.run_once() for _ in range(rounds))

    def rows(self, sql: str, **params) -> list:
        with self.runtime.engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    def outbox(self) -> list[tuple[str, dict]]:
        return [(t, json.loads(b)) for t, b in self.rows("SELECT type, body FROM outbox ORDER BY id")]


@pytest.fixture
def notify(base_env):
    n = Notify(base_env)
    yield n
    n.worker.close()
    n.runtime.dispose()
