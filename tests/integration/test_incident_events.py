"""The incident service on PostgreSQL and RabbitMQ: every change arrives as an event, in sequence, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import requests
from kombu import Connection, Queue, binding

from firebreak.devstack import wait_for
from libs.common.envelope import Event
from libs.common.topology import EVENTS
from tests.integration.helpers import bearer


def watch(url: str, pattern: str) -> Queue:
    """A queue of our own bound to `pattern`, declared before anything is published."""
    queue = Queue("test.watch", bindings=[binding(EVENTS, routing_key=pattern)], durable=False, auto_delete=False)
    with Connection(url) as conn:
        queue(conn.channel()).declare()
    return queue


def drain(url: str, queue: Queue, expected: int) -> list[Event]:
    got: list[Event] = []
    with Connection(url) as conn:
        bound = queue(conn.channel())

        def take():
            while (msg := bound.get(no_ack=True)) is not None:
                got.append(Event.from_message(msg.headers, msg.body))
            return len(got) >= expected

        wait_for(take, timeout=30, what=f"{expected} events")
    return got


def test_every_change_is_published_in_sequence_once(stack):
    queue = watch(stack.rabbitmq.url, "firebreak.incident.#")
    api = stack.start_api("incident")
    stack.start("incident", "relay")
    h = bearer()

    def call(method, path, body=None, expect=200):
        r = requests.request(method, f"{api}{path}", json=body, headers=h, timeout=10)
        assert r.status_code == expect, r.text
        return r.json() if r.content else None

    iid = call("POST", "/v1/incidents", {"title": "Search is slow", "severity": "moderate", "priority": "medium"},
               201)["id"]
    call("POST", f"/v1/incidents/{iid}/actions/assign", {"assignee": "bob"})
    call("POST", f"/v1/incidents/{iid}/actions/acknowledge")
    call("PATCH", f"/v1/incidents/{iid}", {"priority": "high", "severity": "major"})
    call("POST", f"/v1/incidents/{iid}/actions/start")
    call("POST", f"/v1/incidents/{iid}/timeline", {"text": "Cache hit rate dropped"}, 201)
    call("POST", f"/v1/incidents/{iid}/tasks", {"description": "Warm the cache"}, 201)
    start = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    call("POST", f"/v1/incidents/{iid}/impacts", {"start_at": start, "description": "Slow search"}, 201)
    call("POST", f"/v1/incidents/{iid}/roles", {"role": "scribe", "user": "erin"}, 201)
    call("POST", f"/v1/incidents/{iid}/actions/hold", {"reason": "waiting for index rebuild"})
    call("POST", f"/v1/incidents/{iid}/actions/resume")
    call("POST", f"/v1/incidents/{iid}/actions/stabilize")
    call("POST", f"/v1/incidents/{iid}/actions/resolve", {"resolution_code": "fixed", "resolution_summary": "Warmed"})
    call("POST", f"/v1/incidents/{iid}/actions/reopen", {"reason": "slow again"})
    call("POST", f"/v1/incidents/{iid}/actions/resolve", {"resolution_code": "fixed", "resolution_summary": "Tuned"})
    call("POST", f"/v1/incidents/{iid}/actions/close")

    expected = ["created", "assigned", "acknowledged", "priority_changed", "severity_changed",
                "status_changed", "note_added", "task_changed", "impact_changed", "role_changed", "status_changed",
                "status_changed", "status_changed", "resolved", "reopened", "resolved", "closed"]
    events = drain(stack.rabbitmq.url, queue, len(expected))
    kinds = [e.type.split(".")[2] for e in events]
    # PATCH emits its kinds in one transaction; their relative order is the order they were recorded
    assert kinds[:3] == expected[:3] and sorted(kinds[3:5]) == ["priority_changed", "severity_changed"]
    assert kinds[5:] == expected[5:], kinds
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert len({e.id for e in events}) == len(events)
    assert all(e.subject == iid for e in events)
    closed = events[-1].data
    assert closed["status"] == "closed" and closed["priority"] == "high" and closed["reopened_at"]
    assert events[3].data["changes"]  # each event says what changed


def test_concurrent_writers_on_postgresql_never_lose_an_update(stack):
    api = stack.start_api("incident", FIREBREAK_WEB_WORKERS="2")
    h = bearer()
    iid = requests.post(f"{api}/v1/incidents", json={"title": "t", "severity": "minor", "priority": "low"},
                        headers=h, timeout=10).json()["id"]
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(8)

    def writer(i: int):
        etag = requests.get(f"{api}/v1/incidents/{iid}", headers=h, timeout=10).headers["ETag"]
        barrier.wait()
        r = requests.patch(f"{api}/v1/incidents/{iid}", json={"description": f"writer {i}"},
                           headers={**h, "If-Match": etag}, timeout=10)
        results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(code for code, _ in results)
    assert set(codes) <= {200, 409} and codes.count(200) == 1, codes
    winner = next(body for code, body in results if code == 200)
    final = requests.get(f"{api}/v1/incidents/{iid}", headers=h, timeout=10).json()
    assert final["description"] == winner["description"] and final["version"] == 2


def test_mtta_mttr_and_open_incidents_are_exported(stack):
    api = stack.start_api("incident")
    h = bearer()
    iid = requests.post(f"{api}/v1/incidents", json={"title": "t", "severity": "critical", "priority": "critical"},
                        headers=h, timeout=10).json()["id"]
    requests.post(f"{api}/v1/incidents", json={"title": "u", "severity": "minor", "priority": "low"}, headers=h,
                  timeout=10)
    requests.post(f"{api}/v1/incidents/{iid}/actions/acknowledge", headers=h, timeout=10)
    requests.post(f"{api}/v1/incidents/{iid}/actions/resolve", json={"resolution_code": "fixed",
                                                                     "resolution_summary": "ok"}, headers=h, timeout=10)
    metrics = requests.get(f"{api}/metrics", timeout=10).text
    assert 'firebreak_incident_time_to_acknowledge_seconds_count{priority="critical",severity="critical"} 1.0' \
        in metrics
    assert 'firebreak_incident_time_to_resolve_seconds_count{priority="critical",severity="critical"} 1.0' in metrics
    assert 'firebreak_incidents_open{severity="minor"} 1.0' in metrics
    assert 'firebreak_incidents_open{severity="critical"} 0.0' in metrics
    assert 'firebreak_incident_transitions_total{kind="created"} 2.0' in metrics
    assert 'firebreak_outbox_pending{service="incident"}' in metrics


def test_a_reference_clash_on_postgresql_draws_a_new_reference_and_writes_each_row_once(stack, monkeypatch):
    """The one-statement declare (incident, commander role, first entry) writes nothing when the reference is taken."""
    import uuid

    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from services.incident.adapters import repository
    from services.incident.adapters.orm import roles, timeline
    from services.incident.adapters.timeline_repository import entry_row
    from services.incident.domain.model import Incident

    drawn = iter(["INC-20260101-BBBBBB"])
    monkeypatch.setattr(repository, "new_reference", lambda now: next(drawn))
    engine = create_engine(stack.service_env("incident")["DATABASE_URL"])
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            repo = repository.IncidentRepository(session)
            for _ in range(2):
                incident = Incident.declare(str(uuid.uuid4()), "Clash", "major", "high", "alice", now)
                incident.reference = "INC-20260101-AAAAAA"
                role = {"id": str(uuid.uuid4()), "incident_id": incident.id, "role": "commander", "user": "alice",
                        "created_at": now, "created_by": "alice"}
                assert repo.add_declared(incident, role, entry_row(incident.id, incident.events[0], now)) > 0
            assert incident.reference == "INC-20260101-BBBBBB"
            for table in (roles, timeline):
                counts = session.execute(select(table.c.incident_id, func.count()).group_by(table.c.incident_id))
                assert sorted(n for _, n in counts) == [1, 1]
    finally:
        engine.dispose()
