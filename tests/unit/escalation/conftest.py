"""The escalation service in-process on SQLite with a fake clock: HTTP through Flask's test client,
incident and SLA events handed to the handlers, timers fired by the real scheduler at the fake now."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from firebreak.setup import migrate_database
from libs.common.clock import FakeClock
from libs.common.envelope import Event
from services.escalation.app import SERVICE

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Harness:
    def __init__(self, service, runtime, app, clock: FakeClock):
        self.service, self.runtime, self.app, self.clock = service, runtime, app, clock
        self.client = app.test_client()
        self.sequences: dict[str, int] = {}
        self.seen = 0

    def uow(self):
        return self.service.uow_class(self.runtime)

    def deliver(self, event_type: str, data: dict[str, Any], subject: str | None = None,
                sequence: int | None = None) -> None:
        """Hand one event to its handler, as the consumer does (one transaction)."""
        event = Event(type=event_type, source="/test", data=data, subject=subject, sequence=sequence)
        loaded = self.runtime.catalog.load_incoming(event_type, data)
        with self.uow() as uow:
            self.service.event_handlers()[event_type](uow, event, loaded)
            uow.commit()

    def incident(self, incident_id: str, kind: str = "created", **fields: Any) -> dict[str, Any]:
        """Deliver an incident event with the next sequence; fields override the snapshot."""
        seq = self.sequences.get(incident_id, 0) + 1
        self.sequences[incident_id] = seq
        data = {"id": incident_id, "reference": f"INC-{incident_id}", "title": "Checkout down",
                "severity": "major", "priority": "high", "status": "new", "team": "ops", "private": False,
                "created_at": START.isoformat(), "escalation_level": 0, **fields}
        self.deliver(f"firebreak.incident.{kind}.v1", data, incident_id, seq)
        return data

    def fire_due(self) -> int:
        return self.service.scheduler(self.runtime).run_once(self.clock.now())

    def advance(self, seconds: float) -> int:
        self.clock.advance(seconds)
        return self.fire_due()

    def events(self, event_type: str | None = None, new: bool = False) -> list[dict[str, Any]]:
        """Events in the outbox (of a type; with `new`, only those since the last call with `new`)."""
        outbox = self.runtime.tables.outbox
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.id)).mappings().all()
        found = [{"type": r["type"], "headers": r["headers"], **json.loads(r["body"])} for r in rows]
        if new:
            found, self.seen = found[self.seen:], len(found)
        return [e for e in found if event_type is None or e["type"] == event_type]

    def pages(self, **kw) -> list[list[str]]:
        return [e["users"] for e in self.events("firebreak.escalation.step_fired.v1", **kw)]


@pytest.fixture
def esc(base_env):
    service = SERVICE
    clock = FakeClock(START)
    runtime = service.runtime(base_env, clock=clock)
    migrate_database(service, runtime.settings)
    app = service.create_app(runtime=runtime)
    yield Harness(service, runtime, app, clock)
    runtime.dispose()


@pytest.fixture
def admin(token):
    return token("admin", "root")
