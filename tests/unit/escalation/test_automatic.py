"""Automatic escalation end to end in-process: incident events in, step timers fired at a fake now."""

from __future__ import annotations

import pytest
from sqlalchemy import select

STEP_FIRED = "firebreak.escalation.step_fired.v1"


@pytest.fixture
def ops(esc, admin):
    def make(steps, repeat=0, team="ops", **extra):
        members = [{"user": "lena", "role": "lead"}, {"user": "max"}]
        esc.client.post("/v1/teams", json={"name": team, "members": members}, headers=admin)
        body = {"name": f"{team}-policy", "team": team, "repeat": repeat, "steps": [
            {"targets": targets, "timeout_seconds": timeout} for targets, timeout in steps], **extra}
        r = esc.client.post("/v1/escalation-policies", json=body, headers=admin)
        assert r.status_code == 201, r.json
        return r.json
    return make


def user(name):
    return [{"kind": "user", "id": name}]


def test_steps_fire_in_turn_then_the_chain_is_exhausted(esc, ops):
    ops([(user("a"), 60), (user("b"), 120), (user("c"), 30)])
    esc.incident("i1")
    assert esc.pages() == [["a"]]
    assert esc.advance(59) == 0
    assert esc.advance(1) == 1
    assert esc.pages() == [["a"], ["b"]]
    esc.advance(120)
    assert esc.pages() == [["a"], ["b"], ["c"]]
    esc.advance(30)
    assert len(esc.events("firebreak.escalation.exhausted.v1")) == 1
    state = esc.client.get("/v1/escalations?incident_id=i1", headers=esc_token(esc)).json
    assert state["status"] == "exhausted"
    assert [(s["step"], s["users"]) for s in state["items"][0]["steps"]] == [(1, ["a"]), (2, ["b"]), (3, ["c"])]
    assert esc.advance(3600) == 0


def esc_token(esc):
    from libs.common.auth import mint

    return {"Authorization": "Bearer " + mint(esc.runtime.settings.auth, "root", "admin")}


def test_acknowledging_stops_the_chain_and_a_stale_timer_does_nothing(esc, ops):
    ops([(user("a"), 60), (user("b"), 60), (user("c"), 60)])
    esc.incident("i1")
    esc.advance(60)
    esc.incident("i1", "acknowledged", acknowledged_at=esc.clock.now().isoformat())
    esc.advance(600)
    assert esc.pages() == [["a"], ["b"]]
    stopped = esc.events("firebreak.escalation.stopped.v1")
    assert [(e["status"], e["reason"]) for e in stopped] == [("acknowledged", "acknowledged")]


def test_a_duplicate_or_stale_firing_pages_nobody(esc, ops):
    from libs.common.timers import Timer
    from services.escalation.service_layer.steps import step_timed_out

    ops([(user("a"), 60), (user("b"), 60)])
    esc.incident("i1")
    timers = esc.runtime.tables.timers
    with esc.runtime.engine.connect() as conn:
        row = conn.execute(select(timers)).mappings().one()
    stale = Timer(row["id"], row["kind"], row["key"], row["due_at"], row["payload"], 0)
    esc.advance(60)
    with esc.uow() as uow:
        step_timed_out(uow, stale)  # the same firing again, after the step moved on
        uow.commit()
    assert esc.pages() == [["a"], ["b"]]


def test_repeat_runs_the_chain_again(esc, ops):
    ops([(user("a"), 10), (user("b"), 10)], repeat=1)
    esc.incident("i1")
    for _ in range(4):
        esc.advance(10)
    assert esc.pages() == [["a"], ["b"], ["a"], ["b"]]
    fired = esc.events(STEP_FIRED)
    assert [(e["step"], e["round"]) for e in fired] == [(1, 1), (2, 1), (1, 2), (2, 2)]
    assert len(esc.events("firebreak.escalation.exhausted.v1")) == 1


def test_an_empty_schedule_is_skipped_at_once(esc, ops, admin):
    layer = {"name": "l", "participants": ["nina"], "rotation": "daily", "start": "2030-01-01T09:00:00"}
    r = esc.client.post("/v1/schedules", json={"name": "later", "team": None, "layers": [layer]}, headers=admin)
    assert r.status_code == 201, r.json
    ops([([{"kind": "schedule", "id": "later"}], 60), ([{"kind": "team_lead", "id": "ops"}], 60)])
    esc.incident("i1")
    assert esc.pages() == [["lena"]]
    state = esc.client.get("/v1/escalations?incident_id=i1", headers=admin).json
    steps = state["items"][0]["steps"]
    assert [(s["step"], s["skipped"], s["users"]) for s in steps] == [(1, True, []), (2, False, ["lena"])]


def test_resolve_or_close_stops_and_a_stale_event_is_ignored(esc, ops):
    ops([(user("a"), 60), (user("b"), 60)])
    esc.incident("i1")
    esc.incident("i1", "resolved", status="resolved")
    esc.deliver("firebreak.incident.updated.v1", {"id": "i1", "reference": "INC-i1", "title": "old", "severity":
                "major", "priority": "high", "status": "new", "team": "ops", "private": False,
                "created_at": "2026-03-02T09:00:00+00:00"}, "i1", 1)
    esc.advance(600)
    assert esc.pages() == [["a"]]
    assert esc.events("firebreak.escalation.stopped.v1")[0]["reason"] == "incident resolved"


def test_reassignment_starts_the_new_teams_policy(esc, ops):
    ops([(user("a"), 60)], team="ops")
    ops([(user("z"), 60)], team="db")
    esc.incident("i1")
    esc.incident("i1", "assigned", assignee_team="db", status="assigned")
    assert esc.pages() == [["a"], ["z"]]
    assert esc.events("firebreak.escalation.stopped.v1")[0]["reason"] == "reassigned to db"
    page = esc.events(STEP_FIRED)[-1]
    assert page["incident"]["title"] == "Checkout down" and page["incident"]["team"] == "db"
    assert page["incident"]["links"]["incident"] == "/v1/incidents/i1"


def test_the_policy_is_a_snapshot(esc, ops, admin):
    policy = ops([(user("a"), 60), (user("b"), 60)])
    esc.incident("i1")
    body = {"name": policy["name"], "team": "ops", "steps": [{"targets": user("x"), "timeout_seconds": 5}]}
    assert esc.client.put(f"/v1/escalation-policies/{policy['id']}", json=body, headers=admin).status_code == 200
    esc.advance(60)
    assert esc.pages() == [["a"], ["b"]]


def test_sla_breach_escalates_to_the_parent_once(esc, admin, ops):
    esc.client.post("/v1/teams", json={"name": "l2", "members": [{"user": "boss", "role": "lead"}]}, headers=admin)
    esc.client.post("/v1/teams", json={"name": "l1", "parent": "l2", "members": []}, headers=admin)
    esc.client.post("/v1/escalation-policies", json={"name": "l1p", "team": "l1", "on_sla_breach":
                    "escalate_to_parent", "steps": [{"targets": user("a"), "timeout_seconds": 600}]}, headers=admin)
    esc.client.post("/v1/escalation-policies", json={"name": "l2p", "team": "l2", "steps": [
        {"targets": [{"kind": "team_lead", "id": "l2"}], "timeout_seconds": 600}]}, headers=admin)
    esc.incident("i1", team="l1")
    breach = {"incident_id": "i1", "target": "response", "cycle": 1, "team": "l1"}
    esc.deliver("firebreak.sla.breached.v1", breach, "i1", 1)
    esc.deliver("firebreak.sla.breached.v1", breach, "i1", 1)
    escalated = esc.events("firebreak.escalation.escalated.v1")
    assert [(e["kind"], e["from_team"], e["to_team"], e["level"]) for e in escalated] == [("sla", "l1", "l2", 1)]
    assert esc.pages() == [["a"], ["boss"]]


def test_sla_warning_pages_the_team_lead_once(esc, ops):
    ops([(user("a"), 600)], on_sla_warning="page_team_lead")
    esc.incident("i1")
    warning = {"incident_id": "i1", "target": "response", "cycle": 1}
    esc.deliver("firebreak.sla.warning.v1", warning, "i1", 1)
    esc.deliver("firebreak.sla.warning.v1", warning, "i1", 2)
    lead_pages = [e for e in esc.events(STEP_FIRED) if e["trigger"] == "sla_warning"]
    assert [e["users"] for e in lead_pages] == [["lena"]]


def test_acknowledging_a_chain_by_hand(esc, ops, admin):
    ops([(user("a"), 60), (user("b"), 60)])
    esc.incident("i1")
    chain_id = esc.client.get("/v1/escalations?incident_id=i1", headers=admin).json["items"][0]["id"]
    r = esc.client.post(f"/v1/escalations/{chain_id}/acknowledge", headers=admin)
    assert r.status_code == 200 and r.json["status"] == "acknowledged"
    assert esc.client.post(f"/v1/escalations/{chain_id}/acknowledge", headers=admin).status_code == 409
    esc.advance(600)
    assert esc.pages() == [["a"]]
    listed = esc.client.get("/v1/escalations?status=acknowledged", headers=admin).json["items"]
    assert [c["id"] for c in listed] == [chain_id]
