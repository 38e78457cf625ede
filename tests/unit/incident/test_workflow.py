"""The ITIL workflow in the domain: every action from every status, legal or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.incident.domain.errors import IncidentClosed, InvalidTransition, InvalidValue
from services.incident.domain.model import Incident
from services.incident.domain.workflow import ACTIONS, STATUSES, TRANSITIONS, allowed_actions

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# How to bring a fresh incident to each status.
PATHS = {
    "new": [],
    "assigned": [("assign",)],
    "in_progress": [("start",)],
    "on_hold": [("start",), ("hold",)],
    "stable": [("start",), ("stabilize",)],
    "resolved": [("start",), ("resolve",)],
    "closed": [("start",), ("resolve",), ("close",)],
}
EXPECTED_TARGET = {"assign": "assigned", "acknowledge": None, "start": "in_progress", "hold": "on_hold",
                   "resume": "in_progress", "stabilize": "stable", "resolve": "resolved", "close": "closed",
                   "reopen": "in_progress"}


def run(incident: Incident, action: str, at: datetime) -> None:
    args = {"assign": ("bob", None), "hold": ("waiting on vendor",), "reopen": ("came back",),
            "resolve": ("fixed", "rolled back")}.get(action, ())
    getattr(incident, action)("alice", at, *args)


def incident_in(status: str) -> Incident:
    incident = Incident.declare("i-1", "Checkout errors", "major", "high", "alice", T0)
    for i, (action,) in enumerate(PATHS[status]):
        run(incident, action, T0 + timedelta(minutes=i + 1))
    assert incident.status == status
    return incident


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_from_every_status(status, action):
    incident = incident_in(status)
    sources, _ = TRANSITIONS[action]
    before = incident.sequence
    if status == "closed":
        with pytest.raises(IncidentClosed):
            run(incident, action, T0 + timedelta(hours=1))
        return
    if status not in sources:
        with pytest.raises(InvalidTransition) as err:
            run(incident, action, T0 + timedelta(hours=1))
        assert err.value.extensions["current_status"] == status
        assert err.value.extensions["allowed_actions"] == allowed_actions(status)
        assert incident.status == status and incident.sequence == before
        return
    run(incident, action, T0 + timedelta(hours=1))
    target = EXPECTED_TARGET[action]
    if action == "assign":
        target = "assigned" if status == "new" else status
    assert incident.status == (target or status)
    assert incident.sequence == before + 1
    assert incident.events[-1].actor == "alice"


def test_closed_incidents_reject_every_write():
    incident = incident_in("closed")
    for attempt in (lambda: incident.update("a", T0, title="x"), lambda: incident.note("note_added", "x", "a", T0),
                    lambda: incident.set_commander("a", T0, "bob")):
        with pytest.raises(IncidentClosed):
            attempt()


def test_acknowledge_records_time_once():
    incident = incident_in("assigned")
    incident.acknowledge("alice", T0 + timedelta(minutes=7))
    assert incident.acknowledged_at == T0 + timedelta(minutes=7)
    with pytest.raises(InvalidTransition):
        incident.acknowledge("bob", T0 + timedelta(minutes=8))


def test_first_response_is_the_first_start_only():
    incident = incident_in("stable")
    first = incident.started_at
    incident.start("alice", T0 + timedelta(hours=2))
    assert incident.started_at == first


def test_resolve_needs_a_known_code_and_a_summary():
    incident = incident_in("in_progress")
    with pytest.raises(InvalidValue) as err:
        incident.resolve("a", T0, "magic", "done")
    assert err.value.field == "resolution_code"
    with pytest.raises(InvalidValue) as err:
        incident.resolve("a", T0, "fixed", "  ")
    assert err.value.field == "resolution_summary"


def test_hold_and_reopen_need_reasons():
    with pytest.raises(InvalidValue):
        incident_in("in_progress").hold("a", T0, "")
    with pytest.raises(InvalidValue):
        incident_in("resolved").reopen("a", T0, "")


def test_reopen_clears_resolution_and_records_when():
    incident = incident_in("resolved")
    incident.reopen("alice", T0 + timedelta(hours=3), "errors are back")
    assert incident.status == "in_progress"
    assert incident.resolved_at is None and incident.resolution_code is None
    assert incident.reopened_at == T0 + timedelta(hours=3)
    assert incident.events[-1].kind == "reopened" and incident.events[-1].reason == "errors are back"


def test_update_reports_severity_and_priority_changes_apart():
    incident = incident_in("new")
    incident.events.clear()
    incident.update("alice", T0, severity="critical", priority="critical", title="Checkout down")
    kinds = [e.kind for e in incident.events]
    assert sorted(kinds) == ["priority_changed", "severity_changed", "updated"]
    assert [e.sequence for e in incident.events] == [2, 3, 4]
    with pytest.raises(InvalidValue):
        incident.update("alice", T0, severity="apocalyptic")


def test_at_most_one_primary_configuration_item():
    with pytest.raises(InvalidValue):
        Incident.declare("i", "t", "minor", "low", "a", T0, configuration_items=[
            {"kind": "asset", "id": "1", "name": "db1", "primary": True},
            {"kind": "application", "id": "2", "name": "api", "primary": True}])
