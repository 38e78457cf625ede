"""The incident service applying the escalation service's `escalated` events: once, onto the timeline."""

from __future__ import annotations

import pytest

from libs.common.envelope import Event
from services.incident.app import SERVICE
from services.incident.inbound.escalation import ESCALATED


@pytest.fixture
def incident_app(base_env):
    from firebreak.setup import migrate_database

    runtime = SERVICE.runtime(base_env)
    migrate_database(SERVICE, runtime.settings)
    app = SERVICE.create_app(runtime=runtime)
    yield app.test_client(), runtime
    runtime.dispose()


def deliver(runtime, data):
    event = Event(type=ESCALATED, source="/firebreak/escalation", data=data, subject=data["incident_id"])
    handler = SERVICE.event_handlers()[ESCALATED]
    with SERVICE.uow_class(runtime) as uow:
        handler(uow, event, runtime.catalog.load_incoming(ESCALATED, data))
        uow.commit()


def test_an_escalation_reassigns_the_incident_once_and_shows_on_its_timeline(incident_app, token):
    client, runtime = incident_app
    admin = token("admin", "root")
    incident = client.post("/v1/incidents", json={"title": "DB slow", "severity": "major", "priority": "high",
                                                  "team": "support-l1"}, headers=admin).get_json()
    data = {"incident_id": incident["id"], "from_team": "support-l1", "to_team": "dba", "level": 1,
            "kind": "functional", "reason": "needs a DBA", "actor": "alice", "at": "2026-03-02T09:00:00+00:00",
            "escalation_id": "e1"}
    deliver(runtime, data)
    deliver(runtime, data)  # the same escalation again (another event id): nothing more
    got = client.get(f"/v1/incidents/{incident['id']}", headers=admin).get_json()
    assert (got["team"], got["assignee_team"], got["escalation_level"]) == ("dba", "dba", 1)
    entries = client.get(f"/v1/incidents/{incident['id']}/timeline", headers=admin).get_json()["items"]
    escalations = [e for e in entries if e["kind"] == "escalated"]
    assert len(escalations) == 1
    assert "support-l1 to dba" in escalations[0]["summary"] and "needs a DBA" in escalations[0]["summary"]
