"""Each SLA rule on the real stack: incident events in over RabbitMQ, SLA events out, seconds-long targets.

One set of sla processes (consumer, scheduler, relay, api) on PostgreSQL serves the whole module; each
test drives incidents of its own and reads the `firebreak.sla.*` events about them from a test queue.
Lateness (arrival - due) is printed, never asserted: speed is bench/sla_timers.py's business.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from kombu import Connection, Consumer, Queue

from firebreak.devstack import wait_for
from libs.common.envelope import Event
from libs.common.topology import EVENTS
from tests.integration.conftest import Stack, reset_broker
from tests.integration.helpers import bearer

pytestmark = pytest.mark.integration

FAST = {"critical": {"response": 1, "resolution": 2}, "high": {"response": 2, "resolution": 4},
        "medium": {"response": 3, "resolution": 6}, "low": {"response": 60, "resolution": 120}}


class SlaEvents:
    """Every firebreak.sla.* event published, as (arrival time, type, headers, data), from a queue of our own."""

    def __init__(self, url: str):
        self.url = url
        self.items: list[tuple[float, str, dict, dict]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.queue = Queue(f"firebreak.test.sla-events.{uuid.uuid4().hex[:8]}", exchange=EVENTS,
                           routing_key="firebreak.sla.#", durable=False, auto_delete=False)
        with Connection(url) as conn:
            self.queue(conn.channel()).declare()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with Connection(self.url) as conn:
            with Consumer(conn, queues=[self.queue], callbacks=[self._on_message], accept=None):
                while not self.stop.is_set():
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    def _on_message(self, body, message) -> None:
        event = Event.from_message(message.headers, message.body)
        with self.lock:
            self.items.append((time.time(), event.type.split(".")[2], dict(message.headers), event.data))
        message.ack()

    def about(self, incident_id: str) -> list[tuple[float, str, dict, dict]]:
        with self.lock:
            return [item for item in self.items if item[3]["incident_id"] == incident_id]

    def kinds(self, incident_id: str) -> list[tuple[str, str, int]]:
        """(kind, target, cycle) per event, in arrival order; kind met carries its outcome (met / met_late)."""
        return [(d.get("outcome", kind), d["target"], d["cycle"]) for _, kind, _, d in self.about(incident_id)]

    def wait(self, incident_id: str, count: int, timeout: float = 60) -> list:
        wait_for(lambda: len(self.about(incident_id)) >= count, timeout=timeout,
                 what=f"{count} sla events about {incident_id}; have {self.kinds(incident_id)}")
        return self.about(incident_id)


class Incident:
    """An incident as the incident service would announce it: a full snapshot per event, sequence + 1 each."""

    def __init__(self, url: str, priority: str = "high", team: str = "fast", **extra):
        self.url, self.sequence = url, 0
        now = datetime.now(UTC)
        self.snapshot = {"id": str(uuid.uuid4()), "reference": "INC-20260101-" + uuid.uuid4().hex[:6].upper(),
                         "title": "Checkout errors", "severity": "major", "priority": priority, "status": "new",
                         "team": team, "incident_type": None, "private": False, "created_by": "alice",
                         "created_at": now.isoformat(), "acknowledged_at": None, "started_at": None,
                         "resolved_at": None, "closed_at": None, "reopened_at": None, "hold_reason": None, **extra}

    @property
    def id(self) -> str:
        return self.snapshot["id"]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.snapshot["created_at"])

    def publish(self, event: str, **changes) -> datetime:
        now = datetime.now(UTC)
        self.sequence += 1
        self.snapshot.update({k: (now.isoformat() if v == "now" else v) for k, v in changes.items()})
        data = {**self.snapshot, "occurred_at": now.isoformat(), "actor": "alice",
                "changes": {k: {"old": None, "new": v} for k, v in changes.items()}}
        message = Event(type=f"firebreak.incident.{event}.v1", source="/firebreak/incident", subject=self.id,
                        sequence=self.sequence, data=data)
        with Connection(self.url) as conn:
            conn.Producer(exchange=EVENTS).publish(
                message.body().encode(), routing_key=message.type, headers=message.headers(),
                content_type="application/json", content_encoding="utf-8", delivery_mode=2)
        return now


@pytest.fixture(scope="module")
def sla_stack(postgres, rabbitmq, tmp_path_factory):
    """The sla service's consumer, scheduler, relay and api, a 'fast' policy, and the SLA events they publish."""
    reset_broker(rabbitmq)
    stack = Stack(postgres, rabbitmq, tmp_path_factory.mktemp("sla"))
    stack.migrate()
    events = SlaEvents(rabbitmq.url)
    api = stack.start_api("sla")
    for kind in ("consumer", "scheduler", "relay"):
        stack.start("sla", kind)
    stack.wait_started()
    created = requests.post(f"{api}/v1/sla/policies", headers=bearer("admin"), timeout=10, json={
        "name": "fast", "team": "fast", "targets": FAST, "warning_percent": 50})
    assert created.status_code == 201, created.text
    created = requests.post(f"{api}/v1/sla/policies", headers=bearer("admin"), timeout=10, json={
        "name": "no pause", "team": "no-pause", "targets": FAST, "warning_percent": 50, "pause_on_hold": False})
    assert created.status_code == 201, created.text
    stack.api = api
    stack.events = events
    yield stack
    events.stop.set()
    stack.stop_all()
    lateness = [(kind, round(at - datetime.fromisoformat(d["warning_at" if kind == "warning" else "due_at"])
                             .timestamp(), 3)) for at, kind, _, d in events.items if kind in ("warning", "breached")]
    if lateness:
        values = sorted(v for _, v in lateness)
        print(f"\nSLA events: {len(values)} warnings/breaches; arrival - due: median {values[len(values) // 2]}s, "
              f"max {values[-1]}s (includes relay and broker)")


def sla_of(stack, incident_id: str) -> dict:
    response = requests.get(f"{stack.api}/v1/sla/incidents/{incident_id}", headers=bearer("viewer"), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def known(stack, incident: Incident, sequence: int | None = None) -> dict:
    """Wait until the sla service has applied the incident's events up to `sequence` (default: all sent)."""
    sequence = sequence or incident.sequence

    def applied():
        response = requests.get(f"{stack.api}/v1/sla/incidents/{incident.id}", headers=bearer("viewer"), timeout=5)
        return response.json() if response.ok and response.json()["sequence"] >= sequence else None

    return wait_for(applied, timeout=30, what=f"sla to apply sequence {sequence} of {incident.id}\n{stack.logs()}")


def settle(seconds: float = 1.5) -> None:
    """Let a moment pass for anything that should not happen (a duplicate, a stale timer) to show up."""
    time.sleep(seconds)


# -- the rules ---------------------------------------------------------------------------------
def test_created_starts_clocks_and_warnings_then_breaches_arrive_once_each(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url)
    incident.publish("created")
    view = known(sla_stack, incident)
    assert view["policy"]["name"] == "fast" and view["priority"] == "high" and view["sequence"] == 1
    response, resolution = view["targets"]["response"], view["targets"]["resolution"]
    assert datetime.fromisoformat(response["due_at"]) == incident.created_at + timedelta(seconds=2)
    assert datetime.fromisoformat(resolution["due_at"]) == incident.created_at + timedelta(seconds=4)
    assert datetime.fromisoformat(response["warning_at"]) == incident.created_at + timedelta(seconds=1)

    sla_stack.events.wait(incident.id, 4)
    settle()
    events = sla_stack.events.about(incident.id)
    # The response breach and the resolution warning are both due at +2 s: either may come first.
    assert sorted(sla_stack.events.kinds(incident.id)) == [("breached", "resolution", 1), ("breached", "response", 1),
                                                           ("warning", "resolution", 1), ("warning", "response", 1)]
    assert sla_stack.events.kinds(incident.id)[0] == ("warning", "response", 1)
    assert [int(h["ce-sequence"]) for _, _, h, _ in events] == [1, 2, 3, 4]
    [(_, _, headers, breach)] = [e for e in events if e[1] == "breached" and e[3]["target"] == "response"]
    assert headers["ce-subject"] == incident.id and headers["ce-type"] == "firebreak.sla.breached.v1"
    assert breach["due_at"] == response["due_at"] and breach["priority"] == "high" and breach["team"] == "fast"
    assert breach["target_seconds"] == 2 and breach["overdue_seconds"] >= 0
    states = {t: v["state"] for t, v in sla_of(sla_stack, incident.id)["targets"].items()}
    assert states == {"response": "breached", "resolution": "breached"}


def test_acknowledge_meets_response_and_resolve_meets_resolution(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="medium")  # 3 s / 6 s
    incident.publish("created")
    incident.publish("acknowledged", acknowledged_at="now", status="assigned")
    incident.publish("status_changed", started_at="now", status="in_progress")
    incident.publish("resolved", resolved_at="now", status="resolved")
    sla_stack.events.wait(incident.id, 2)
    view = known(sla_stack, incident)
    settle(6)  # past both targets: a timer left behind would fire now
    assert sla_stack.events.kinds(incident.id) == [("met", "response", 1), ("met", "resolution", 1)]
    assert {t: v["state"] for t, v in view["targets"].items()} == {"response": "met", "resolution": "met"}
    met = sla_stack.events.about(incident.id)[0][3]
    assert met["at"] == incident.snapshot["acknowledged_at"] and met["overdue_seconds"] == 0


def test_work_started_is_a_first_response_and_a_late_one_is_met_late(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="critical")  # response 1 s
    incident.publish("created")
    sla_stack.events.wait(incident.id, 2)  # warning, breached
    incident.publish("status_changed", started_at="now", status="in_progress")
    wait_for(lambda: ("met_late", "response", 1) in sla_stack.events.kinds(incident.id), timeout=30,
             what="the late response")
    response = [k for k in sla_stack.events.kinds(incident.id) if k[1] == "response"]
    assert response == [("warning", "response", 1), ("breached", "response", 1), ("met_late", "response", 1)]
    assert known(sla_stack, incident)["targets"]["response"]["state"] == "met_late"


def test_stricter_priority_recomputes_from_the_start_and_can_breach_at_once(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="low")  # response 60 s
    incident.publish("created")
    known(sla_stack, incident)
    time.sleep(2.2)
    incident.publish("priority_changed", priority="critical")  # response 1 s: already 2 s gone
    sla_stack.events.wait(incident.id, 2)
    settle()
    # Both targets are past their new due times: two breaches, no warnings (a breach says more).
    assert sorted(sla_stack.events.kinds(incident.id)) == [("breached", "resolution", 1), ("breached", "response", 1)]
    [data] = [d for _, _, _, d in sla_stack.events.about(incident.id) if d["target"] == "response"]
    assert data["priority"] == "critical"
    assert datetime.fromisoformat(data["due_at"]) == incident.created_at + timedelta(seconds=1)
    assert data["overdue_seconds"] > 1
    view = known(sla_stack, incident)
    assert view["targets"]["response"]["target_seconds"] == 1
    assert view["targets"]["resolution"]["target_seconds"] == 2


def test_on_hold_pauses_and_resume_continues_with_the_remaining_time(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="medium")  # resolution 6 s
    incident.publish("created")
    incident.publish("status_changed", started_at="now", status="in_progress")
    time.sleep(1)
    incident.publish("status_changed", status="on_hold", hold_reason="waiting for the vendor")
    held = known(sla_stack, incident)["targets"]["resolution"]
    assert held["state"] == "paused" and held["due_at"] is None
    time.sleep(5.5)  # with the second before the hold, longer than the whole target
    assert ("breached", "resolution", 1) not in sla_stack.events.kinds(incident.id)
    assert sla_of(sla_stack, incident.id)["targets"]["resolution"]["elapsed_seconds"] == held["elapsed_seconds"]
    resumed_at = incident.publish("status_changed", status="in_progress", hold_reason=None)
    due = datetime.fromisoformat(known(sla_stack, incident)["targets"]["resolution"]["due_at"])
    assert abs((due - (resumed_at + timedelta(seconds=6 - held["elapsed_seconds"]))).total_seconds()) < 0.01
    wait_for(lambda: ("breached", "resolution", 1) in sla_stack.events.kinds(incident.id), timeout=30,
             what="the resolution breach after the resume")
    breach = [d for _, k, _, d in sla_stack.events.about(incident.id) if k == "breached"][-1]
    assert breach["due_at"] == due.isoformat()


def test_hold_does_not_pause_when_the_policy_says_not_to(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="high", team="no-pause")  # resolution 4 s
    incident.publish("created")
    incident.publish("status_changed", started_at="now", status="in_progress")
    incident.publish("status_changed", status="on_hold")
    view = known(sla_stack, incident)
    assert view["policy"]["name"] == "no pause" and view["targets"]["resolution"]["state"] != "paused"
    wait_for(lambda: ("breached", "resolution", 1) in sla_stack.events.kinds(incident.id), timeout=30,
             what="a breach while on hold")


def test_reopen_starts_a_new_resolution_clock_from_the_reopen_time(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="high")  # resolution 4 s
    incident.publish("created")
    incident.publish("acknowledged", acknowledged_at="now", status="assigned")
    incident.publish("resolved", resolved_at="now", status="resolved")
    known(sla_stack, incident)
    time.sleep(3)
    reopened_at = incident.publish("reopened", reopened_at="now", resolved_at=None, status="in_progress")
    view = known(sla_stack, incident)
    resolution = view["targets"]["resolution"]
    assert resolution["cycle"] == 2 and resolution["state"] in ("ok", "warning")
    assert datetime.fromisoformat(resolution["due_at"]) == reopened_at + timedelta(seconds=4)
    assert [(h["target"], h["cycle"], h["state"]) for h in view["history"]] == [("resolution", 1, "met")]
    wait_for(lambda: ("breached", "resolution", 2) in sla_stack.events.kinds(incident.id), timeout=30,
             what="the second cycle's breach")
    settle()
    assert sla_stack.events.kinds(incident.id) == [("met", "response", 1), ("met", "resolution", 1),
                                                   ("warning", "resolution", 2), ("breached", "resolution", 2)]


def test_closed_stops_everything(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="high")
    incident.publish("created")
    incident.publish("closed", closed_at="now", status="closed")
    view = known(sla_stack, incident)
    assert {t: v["state"] for t, v in view["targets"].items()} == {"response": "cancelled",
                                                                  "resolution": "cancelled"}
    settle(5)  # past both targets
    assert sla_stack.events.kinds(incident.id) == []


def test_stale_and_duplicate_incident_events_change_nothing(sla_stack):
    incident = Incident(sla_stack.rabbitmq.url, priority="low")
    incident.publish("created")
    incident.publish("updated", title="Checkout errors in EU")
    known(sla_stack, incident)
    incident.sequence = 1  # an old fact arriving late: sequence 2 was already applied
    incident.publish("priority_changed", priority="critical")
    settle()
    view = sla_of(sla_stack, incident.id)
    assert view["priority"] == "low" and view["sequence"] == 2 and view["title"] == "Checkout errors in EU"
    assert sla_stack.events.kinds(incident.id) == []


def test_business_calendar_counts_only_working_time(sla_stack):
    today = datetime.now(UTC).date()
    holidays = [(today + timedelta(days=d)).isoformat() for d in range(3)]
    calendar = requests.post(f"{sla_stack.api}/v1/sla/calendars", headers=bearer("admin"), timeout=10, json={
        "name": "closed for three days", "kind": "business", "timezone": "UTC", "holidays": holidays,
        "hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]})
    assert calendar.status_code == 201, calendar.text
    policy = requests.post(f"{sla_stack.api}/v1/sla/policies", headers=bearer("admin"), timeout=10, json={
        "name": "office", "team": "office", "targets": FAST, "calendar_id": calendar.json()["id"]})
    assert policy.status_code == 201, policy.text
    incident = Incident(sla_stack.rabbitmq.url, priority="high", team="office")
    incident.publish("created")
    view = known(sla_stack, incident)
    opening = datetime.combine(incident.created_at.date() + timedelta(days=3), datetime.min.time(), tzinfo=UTC)
    assert view["policy"]["calendar_name"] == "closed for three days"
    assert datetime.fromisoformat(view["targets"]["response"]["due_at"]) == opening + timedelta(seconds=2)
    assert view["targets"]["response"]["elapsed_seconds"] == 0


def test_report_counts_met_and_breached_with_compliance(sla_stack):
    policy = requests.post(f"{sla_stack.api}/v1/sla/policies", headers=bearer("admin"), timeout=10,
                           json={"name": "reporting", "team": "reporting", "targets": FAST})
    assert policy.status_code == 201, policy.text
    met = Incident(sla_stack.rabbitmq.url, priority="medium", team="reporting")
    breached = Incident(sla_stack.rabbitmq.url, priority="critical", team="reporting")
    met.publish("created")
    met.publish("acknowledged", acknowledged_at="now")
    breached.publish("created")
    sla_stack.events.wait(breached.id, 2)
    known(sla_stack, met)
    report = requests.get(f"{sla_stack.api}/v1/sla/report", params={"team": "reporting"}, headers=bearer("viewer"),
                          timeout=10).json()
    response = report["targets"]["response"]
    assert (response["met"], response["breached"], response["compliance_percent"]) == (1, 1, 50.0)
    assert response["time_seconds"]["count"] == 1 and response["time_seconds"]["p50"] is not None
    assert report["by_priority"]["critical"]["response"]["breached"] == 1

