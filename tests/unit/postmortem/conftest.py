"""The postmortem service in-process on SQLite: events fed straight into its consumer, its API via a test client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from firebreak.setup import migrate_database
from libs.common.clock import FakeClock
from libs.common.envelope import Event
from services.postmortem.app import SERVICE

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
INCIDENT = "firebreak.incident."


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def pm(base_env):
    runtime = SERVICE.runtime(base_env)
    runtime.clock = FakeClock(T0 + timedelta(days=1))
    migrate_database(SERVICE, runtime.settings)
    yield runtime
    runtime.dispose()


@pytest.fixture
def client(pm):
    return SERVICE.create_app(runtime=pm).test_client()


@pytest.fixture
def api(client, token):
    def call(method: str, path: str, json=None, role: str = "responder", user: str = "alice",
             teams: list[str] | None = None, expect: int | None = None, headers: dict | None = None):
        response = client.open(path, method=method, json=json, headers={**token(role, user, teams),
                                                                        **(headers or {})})
        if expect is not None:
            assert response.status_code == expect, response.get_data(as_text=True)
        return response

    return call


@pytest.fixture
def deliver(pm):
    consumer = SERVICE.consumer(pm)

    def send(event_type: str, data: dict, sequence: int | None, subject: str | None = None,
             event_id: str | None = None) -> str:
        extra = {"id": event_id} if event_id else {}
        event = Event(type=event_type, source="/firebreak/test", subject=subject or data.get("id"),
                      sequence=sequence, data=data, **extra)
        loaded = pm.catalog.load_incoming(event_type, event.data)
        return consumer.handle(event, loaded, consumer.handlers[event_type])

    return send


class IncidentStory:
    """Incident events as the incident service publishes them: snapshot, entry, detail, one sequence."""

    def __init__(self, deliver, incident_id: str = "inc-1", **fields):
        self.deliver, self.sequence, self.entry = deliver, 0, 0
        self.state = {"id": incident_id, "reference": "INC-20260301-ABCDEF", "title": "Checkout errors",
                      "description": "Card payments failed", "severity": "major", "priority": "high",
                      "status": "new", "team": "payments", "private": False, "created_by": "alice",
                      "created_at": at(0), "detection_method": "monitor", **fields}

    def event(self, kind: str, when: float, summary: str, important: bool = False, changes: dict | None = None,
              detail: dict | None = None, entry_kind: str | None = None, deliver: bool = True, **state) -> dict:
        self.sequence += 1
        self.entry += 1
        self.state.update(state)
        data = {**self.state, "changes": changes or {}, "actor": "alice", "occurred_at": at(when), "detail": detail,
                "timeline_entry": {"id": self.entry, "kind": entry_kind or kind, "summary": summary,
                                   "actor": "alice", "occurred_at": at(when), "important": important}}
        if deliver:
            self.deliver(f"{INCIDENT}{kind}.v1", data, self.sequence)
        return data

    def edit_entry(self, entry: dict, **changes) -> None:
        self.sequence += 1
        data = {**self.state, "changes": {}, "actor": "alice", "occurred_at": at(200), "detail": None,
                "timeline_entry": {**entry["timeline_entry"], **changes}}
        self.deliver(f"{INCIDENT}timeline_entry_changed.v1", data, self.sequence)

    def resolved_story(self) -> dict:
        """The seed's flow: two important entries (one re-dated), several ordinary ones, then resolved."""
        self.event("created", 0, "Incident declared: Checkout errors")
        self.event("acknowledged", 4, "Acknowledged by alice", acknowledged_at=at(4))
        first = self.event("note_added", 10, "Deploy 4711 went out", important=True, entry_kind="note")
        self.event("note_added", 12, "Looking at dashboards", entry_kind="note")
        second = self.event("note_added", 30, "Rolled back 4711", important=True, entry_kind="note")
        self.event("status_changed", 40, "Stable", changes={"status": {"old": "in_progress", "new": "stable"}},
                   status="stable")
        self.event("impact_changed", 41, "Customer impact added", entry_kind="impact", detail={
            "collection": "impacts", "change": "added", "item": {
                "id": "imp-1", "start_at": at(2), "end_at": at(35), "description": "EU checkout failing"}})
        self.edit_entry(second, occurred_at=at(25))
        self.event("resolved", 60, "Resolved (fixed): Rolled back", status="resolved", resolved_at=at(60),
                   resolution_code="fixed", resolution_summary="Rolled back deploy 4711")
        return {"first": first, "second": second}


def outbox(runtime) -> list[tuple[str, dict, dict]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, headers, body FROM outbox ORDER BY id")).all()
    return [(t, json.loads(h) if isinstance(h, str) else h, json.loads(b)) for t, h, b in rows]
