"""An incident made private after creation disappears from every read path of escalation, notify and postmortem.

Each service gets the incident's events through its own consumer path (Consumer.handle: inbox, handler,
commit), then is read over HTTP as a responder of another team and as a viewer (issue 14).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.clock import FakeClock
from libs.common.envelope import Event

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
INCIDENT_ID = "inc-private-later"
SECRET_TITLE = "Payroll database exfiltration"


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


class Service:
    """One service in-process: its app, and its consumer fed incident events in sequence."""

    def __init__(self, name: str, base_env: dict):
        self.service = definition(name)
        env = {**base_env, "FIREBREAK_PUBLIC_URL": "https://fb.example"}
        self.runtime = self.service.runtime(env, clock=FakeClock(T0 + timedelta(hours=2)))
        migrate_database(self.service, self.runtime.settings)
        self.consumer = self.service.consumer(self.runtime)
        self.client = self.service.create_app(runtime=self.runtime).test_client()
        self.sequence, self.state = 0, {
            "id": INCIDENT_ID, "reference": "INC-20260301-SECRET", "title": SECRET_TITLE,
            "description": "HR data", "severity": "critical", "priority": "critical", "status": "new",
            "team": "payments", "private": False, "created_by": "alice", "created_at": at(0),
            "detection_method": "monitor", "escalation_level": 0, "commander": "alice"}

    def incident(self, kind: str, minutes: float, changes: dict | None = None, **state) -> None:
        self.sequence += 1
        self.state.update(state)
        data = {**self.state, "changes": changes or {}, "actor": "alice", "occurred_at": at(minutes),
                "reason": None, "detail": None,
                "timeline_entry": {"id": self.sequence, "kind": kind, "summary": kind, "actor": "alice",
                                   "occurred_at": at(minutes), "important": False}}
        event_type = f"firebreak.incident.{kind}.v1"
        event = Event(type=event_type, source="/firebreak/test", subject=INCIDENT_ID, sequence=self.sequence,
                      data=data, time=T0 + timedelta(minutes=minutes))
        loaded = self.runtime.catalog.load_incoming(event_type, event.data)
        self.consumer.handle(event, loaded, self.consumer.handlers[event_type])

    def make_private(self) -> None:
        self.incident("updated", 90, changes={"private": {"old": False, "new": True}}, private=True)

    def close(self) -> None:
        self.runtime.dispose()


@pytest.fixture
def services(base_env):
    made = {name: Service(name, base_env) for name in ("escalation", "notify", "postmortem")}
    yield made
    for s in made.values():
        s.close()


def readers(token) -> dict[str, dict]:
    return {"viewer": token("viewer", "vera"), "other team": token("responder", "otto", ["platform"])}


def set_up(services, token) -> dict[str, str]:
    """Give each service something about the incident to show: a chain, a delivery, a postmortem."""
    admin = token("admin", "root")
    esc, notify, pm = services["escalation"], services["notify"], services["postmortem"]
    esc.client.post("/v1/teams", json={"name": "payments", "members": [{"user": "alice", "role": "lead"}]},
                    headers=admin)
    policy = esc.client.post("/v1/escalation-policies", headers=admin, json={
        "name": "payments-policy", "team": "payments", "repeat": 0,
        "steps": [{"targets": [{"kind": "user", "id": "alice"}], "timeout_seconds": 600}]})
    assert policy.status_code == 201, policy.get_json()
    notify.client.post("/v1/contacts", headers=token("responder", "alice"), json={
        "user": "alice", "methods": [{"kind": "webhook", "address": "http://hooks.test/a", "secret": "s"}]})
    rule = notify.client.post("/v1/notification-rules", headers=admin, json={
        "name": "everything", "event_types": ["declared"], "recipients": [{"contact": "alice"}]})
    assert rule.status_code == 201, rule.get_json()
    for s in services.values():
        s.incident("created", 0)
        s.incident("resolved", 60, status="resolved", resolved_at=at(60), resolution_code="fixed",
                   resolution_summary="rotated credentials")
    owner = token("responder", "alice", ["payments"])
    document = pm.client.post("/v1/postmortems", json={"incident_id": INCIDENT_ID}, headers=owner)
    assert document.status_code == 201, document.get_json()
    item = pm.client.post(f"/v1/postmortems/{document.get_json()['id']}/action-items", headers=owner,
                          json={"title": f"Follow up on {SECRET_TITLE}"})
    assert item.status_code == 201, item.get_json()
    chains = esc.client.get(f"/v1/escalations?incident_id={INCIDENT_ID}", headers=admin).get_json()
    return {"postmortem": document.get_json()["id"], "item": item.get_json()["id"],
            "chain": chains["items"][0]["id"]}


def read_paths(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("escalation", f"/v1/escalations?incident_id={INCIDENT_ID}"),
        ("escalation", "/v1/escalations"),
        ("escalation", f"/v1/escalations/{ids['chain']}"),
        ("notify", f"/v1/notifications?incident_id={INCIDENT_ID}"),
        ("notify", "/v1/notifications"),
        ("postmortem", "/v1/postmortems"),
        ("postmortem", f"/v1/postmortems?incident_id={INCIDENT_ID}"),
        ("postmortem", f"/v1/postmortems/{ids['postmortem']}"),
        ("postmortem", f"/v1/postmortems/{ids['postmortem']}?format=markdown"),
        ("postmortem", f"/v1/postmortems/{ids['postmortem']}/action-items"),
        ("postmortem", "/v1/action-items"),
        ("postmortem", f"/v1/action-items/{ids['item']}"),
    ]


def leaks(response) -> bool:
    if response.status_code in (403, 404):
        return False
    text = response.get_data(as_text=True)
    return any(secret in text for secret in (SECRET_TITLE, INCIDENT_ID, "INC-20260301-SECRET"))


def test_an_incident_made_private_later_is_invisible_to_other_teams_and_viewers(services, token):
    ids = set_up(services, token)
    who = readers(token)
    shown_before = {(svc, path) for svc, path in read_paths(ids)
                    if leaks(services[svc].client.get(path, headers=who["other team"]))}
    # While public, the copies show it to everyone: the read paths are real ones that do show it.
    assert shown_before >= set(read_paths(ids)) - {("notify", "/v1/notifications")}

    for s in services.values():
        s.make_private()

    found = [f"{name} {svc} {path}: {r.status_code} {r.get_data(as_text=True)[:200]}"
             for svc, path in read_paths(ids) for name, headers in who.items()
             if leaks(r := services[svc].client.get(path, headers=headers))]
    assert not found, "\n".join(found)
    team = token("responder", "alice", ["payments"])
    assert services["postmortem"].client.get(f"/v1/postmortems/{ids['postmortem']}", headers=team).status_code == 200


def test_a_private_incident_moved_to_another_team_leaves_the_old_teams_view(services, token):
    ids = set_up(services, token)
    for s in services.values():
        s.make_private()
        s.incident("assigned", 95, changes={"team": {"old": "payments", "new": "security"}}, team="security")
    old_team = token("responder", "alice", ["payments"])
    found = [f"{svc} {path}: {r.status_code}" for svc, path in read_paths(ids)
             if leaks(r := services[svc].client.get(path, headers=old_team))]
    assert not found, "\n".join(found)
    new_team = token("responder", "sam", ["security"])
    document = services["postmortem"].client.get(f"/v1/postmortems/{ids['postmortem']}", headers=new_team)
    assert document.status_code == 200
