"""The escalation service on the real stack (PostgreSQL, RabbitMQ, service processes), second-level timeouts."""

from __future__ import annotations

import time

import pytest
import requests

from firebreak.devstack import wait_for
from libs.common.envelope import Event
from tests.integration.conftest import Stack, reset_broker
from tests.integration.helpers import bearer, query
from tests.integration.test_consumer import publish

pytestmark = pytest.mark.integration
ADMIN = bearer("admin", "root")


class Platform:
    """Incident and escalation processes on one stack, and the HTTP calls the tests make."""

    def __init__(self, stack, incident_consumer: bool = False):
        self.stack = stack
        self.incidents = stack.start_api("incident")
        stack.start("incident", "relay")
        if incident_consumer:
            stack.start("incident", "consumer")
        for kind in ("consumer", "relay"):
            stack.start("escalation", kind)
        self.scheduler = stack.start("escalation", "scheduler")
        self.url = stack.start_api("escalation")

    def post(self, path: str, body: dict, expect: int = 201, base: str | None = None) -> dict:
        r = requests.post(f"{base or self.url}{path}", json=body, headers=ADMIN, timeout=10)
        assert r.status_code == expect, r.text
        return r.json()

    def team(self, name: str, parent: str | None = None, members=()) -> None:
        self.post("/v1/teams", {"name": name, "parent": parent, "members": list(members)})

    def policy(self, team: str, steps: list[tuple[list[dict], int]], repeat: int = 0, **extra) -> None:
        self.post("/v1/escalation-policies", {"name": f"{team}-policy", "team": team, "repeat": repeat, "steps": [
            {"targets": targets, "timeout_seconds": timeout} for targets, timeout in steps], **extra})

    def declare(self, team: str) -> str:
        return self.post("/v1/incidents", {"title": f"Trouble for {team}", "severity": "major", "priority": "high",
                                           "team": team}, base=self.incidents)["id"]

    def act(self, incident_id: str, action: str, **body) -> None:
        self.post(f"/v1/incidents/{incident_id}/actions/{action}", body, 200, base=self.incidents)

    def state(self, incident_id: str) -> dict | None:
        r = requests.get(f"{self.url}/v1/escalations", params={"incident_id": incident_id}, headers=ADMIN, timeout=5)
        return r.json() if r.ok else None

    def wait(self, incident_id: str, what: str, check, timeout: float = 30) -> dict:
        def ready():
            state = self.state(incident_id)
            return state if state and check(state) else None
        return wait_for(ready, timeout=timeout, what=f"{what}; now {self.state(incident_id)}\n{self.stack.logs()}")

    def outbox_pages(self, incident_id: str) -> int:
        return query(self.stack.env["FIREBREAK_ESCALATION_DATABASE_URL"],
                     "SELECT count(*) FROM outbox WHERE type = 'firebreak.escalation.step_fired.v1' "
                     "AND subject = :i", i=incident_id)[0][0]


@pytest.fixture(scope="module")
def platform(postgres, rabbitmq, tmp_path_factory):
    """One stack for the whole module (starting one per test costs more than the tests): teams differ per test."""
    reset_broker(rabbitmq)
    stack = Stack(postgres, rabbitmq, tmp_path_factory.mktemp("escalation"))
    stack.migrate()
    try:
        yield Platform(stack, incident_consumer=True)
    finally:
        stack.stop_all()


def user(name: str) -> list[dict]:
    return [{"kind": "user", "id": name}]


def pages(state: dict, chain: int = -1) -> list[tuple[int, int, list[str], bool]]:
    return [(s["step"], s["round"], s["users"], s["skipped"]) for s in state["items"][chain]["steps"]]


def test_automatic_escalation_steps_ack_repeat_and_empty_schedule(platform):
    p = platform
    p.team("web")
    p.policy("web", [(user("ann"), 2), (user("bob"), 2), (user("cat"), 2)])
    p.team("api")
    p.policy("api", [(user("ann"), 1), (user("bob"), 60), (user("cat"), 1)])
    p.team("ops")
    p.post("/v1/schedules", {"name": "nobody-yet", "team": "ops", "layers": [
        {"name": "l", "participants": ["zed"], "rotation": "daily", "start": "2099-01-01T09:00:00"}]})
    p.policy("ops", [([{"kind": "schedule", "id": "nobody-yet"}], 60), (user("oli"), 1)], repeat=1)

    unanswered = p.declare("web")
    answered = p.declare("api")
    repeated = p.declare("ops")

    # Step 1, then 2, then 3 when nobody acknowledges; then the chain is exhausted.
    state = p.wait(unanswered, "the chain to be exhausted", lambda s: s["status"] == "exhausted")
    assert pages(state) == [(1, 1, ["ann"], False), (2, 1, ["bob"], False), (3, 1, ["cat"], False)]
    assert p.outbox_pages(unanswered) == 3

    # Acknowledging during step 2 stops the chain there.
    p.wait(answered, "step 2", lambda s: len(s["items"][0]["steps"]) == 2)
    p.act(answered, "acknowledge")
    state = p.wait(answered, "the chain to stop", lambda s: s["status"] == "acknowledged")
    assert [s["users"] for s in state["items"][0]["steps"]] == [["ann"], ["bob"]]
    chain_id = state["items"][0]["id"]
    assert query(p.stack.env["FIREBREAK_ESCALATION_DATABASE_URL"],
                 "SELECT count(*) FROM timers WHERE key = :k", k=chain_id)[0][0] == 0

    # The empty schedule is skipped at once; repeat runs the chain again.
    state = p.wait(repeated, "the repeat to finish", lambda s: s["status"] == "exhausted")
    assert pages(state) == [(1, 1, [], True), (2, 1, ["oli"], False), (1, 2, [], True), (2, 2, ["oli"], False)]
    first, second = state["items"][0]["steps"][:2]
    assert first["at"] == second["at"]  # skipped at once: step 2 fired in the same instant


def test_manual_and_sla_escalation_reassign_the_incident(platform):
    p = platform
    p.team("support-l3", members=[{"user": "l3-lead", "role": "lead"}])
    p.team("support-l2", "support-l3", members=[{"user": "l2-lead", "role": "lead"}])
    p.team("support-l1", "support-l2")
    p.team("dba", members=[{"user": "dina", "role": "lead"}])
    p.policy("support-l1", [(user("first"), 600)], on_sla_breach="escalate_to_parent")
    p.policy("dba", [([{"kind": "team_lead", "id": "dba"}], 600)])

    # Hierarchical: L1 → L2 → L3, then 409 naming the team.
    climbing = p.declare("support-l1")
    p.wait(climbing, "the L1 chain", lambda s: s["status"] == "active")
    for to_team, level in (("support-l2", 1), ("support-l3", 2)):
        record = p.post("/v1/escalations", {"incident_id": climbing, "kind": "hierarchical", "reason": "stuck"})
        assert (record["to_team"], record["level"], record["actor"]) == (to_team, level, "root")
    refused = p.post("/v1/escalations", {"incident_id": climbing, "kind": "hierarchical"}, expect=409)
    assert "support-l3" in refused["detail"]
    incident = wait_for(lambda: _incident(p, climbing, escalation_level=2), timeout=30,
                        what=f"the incident at level 2\n{p.stack.logs()}")
    assert incident["team"] == "support-l3"

    # Functional: reassigns the incident, which shows on its timeline; the target team's policy pages.
    functional = p.declare("support-l1")
    p.wait(functional, "the L1 chain", lambda s: s["status"] == "active")
    p.post("/v1/escalations", {"incident_id": functional, "kind": "functional", "to_team": "dba",
                               "reason": "looks like the database"})
    state = p.wait(functional, "the dba chain", lambda s: s["items"][-1]["team"] == "dba")
    assert pages(state) == [(1, 1, ["dina"], False)]
    wait_for(lambda: _incident(p, functional, team="dba", assignee_team="dba"), timeout=30,
             what=f"the incident reassigned\n{p.stack.logs()}")
    timeline = requests.get(f"{p.incidents}/v1/incidents/{functional}/timeline", headers=ADMIN, timeout=5).json()
    [entry] = [e for e in timeline["items"] if e["kind"] == "escalated"]
    assert "to dba" in entry["summary"] and "looks like the database" in entry["summary"]

    # An SLA breach delivered twice escalates once.
    breached = p.declare("support-l1")
    p.wait(breached, "the L1 chain", lambda s: s["status"] == "active")
    event = Event(type="firebreak.sla.breached.v1", source="/firebreak/sla", subject=breached, sequence=1, data={
        "incident_id": breached, "target": "response", "cycle": 1, "team": "support-l1"})
    publish(p.stack.rabbitmq.url, event, event)
    wait_for(lambda: _incident(p, breached, escalation_level=1, team="support-l2"), timeout=30,
             what=f"the SLA escalation\n{p.stack.logs()}")
    state = p.wait(breached, "the SLA escalation record", lambda s: len(s["escalations"]) == 1)
    assert [(e["kind"], e["from_team"], e["to_team"]) for e in state["escalations"]] == [
        ("sla", "support-l1", "support-l2")]
    again = Event(type=event.type, source=event.source, subject=breached, sequence=1, data=event.data)
    publish(p.stack.rabbitmq.url, again)  # the same breach under another event id: still once
    wait_for(lambda: _consumed(p.stack, again.id), timeout=30, what="the repeat to be consumed")
    assert len(p.state(breached)["escalations"]) == 1


def _incident(p: Platform, incident_id: str, **expect) -> dict | None:
    r = requests.get(f"{p.incidents}/v1/incidents/{incident_id}", headers=ADMIN, timeout=5)
    body = r.json() if r.ok else {}
    return body if body and all(body.get(k) == v for k, v in expect.items()) else None


def _consumed(stack, event_id: str) -> bool:
    return query(stack.env["FIREBREAK_ESCALATION_DATABASE_URL"], "SELECT count(*) FROM inbox WHERE event_id = :e",
                 e=event_id)[0][0] == 1


def test_a_killed_scheduler_fires_the_next_step_once_after_restart(platform):
    p = platform
    p.team("night")
    p.policy("night", [(user("ann"), 3), (user("bob"), 600)])
    incident_id = p.declare("night")
    chain_id = p.wait(incident_id, "step 1", lambda s: len(s["items"]) == 1)["items"][0]["id"]
    p.scheduler.kill(9)
    url = p.stack.env["FIREBREAK_ESCALATION_DATABASE_URL"]
    wait_for(lambda: query(url, "SELECT count(*) FROM timers WHERE key = :k AND due_at < now()", k=chain_id)[0][0],
             timeout=30,
             what="step 1's timeout to pass while the scheduler is down")
    assert [s["users"] for s in p.state(incident_id)["items"][0]["steps"]] == [["ann"]]
    p.scheduler = p.stack.start("escalation", "scheduler")
    state = p.wait(incident_id, "step 2 after the restart", lambda s: len(s["items"][0]["steps"]) == 2)
    assert pages(state) == [(1, 1, ["ann"], False), (2, 1, ["bob"], False)]
    time.sleep(1)  # a second firing, if there were one, would be written by now
    assert p.outbox_pages(incident_id) == 2
