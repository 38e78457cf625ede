"""The incident service applying notify's `acknowledgement_requested`: acknowledged once, as the link's user."""

from __future__ import annotations

import pytest

from libs.common.envelope import Event
from services.incident.app import SERVICE
from services.incident.inbound.notify import ACK_REQUESTED


@pytest.fixture
def incident_app(base_env):
    from firebreak.setup import migrate_database

    runtime = SERVICE.runtime(base_env)
    migrate_database(SERVICE, runtime.settings)
    app = SERVICE.create_app(runtime=runtime)
    yield app.test_client(), runtime
    runtime.dispose()


def deliver(runtime, incident_id: str, user: str) -> None:
    data = {"incident_id": incident_id, "user": user, "via": "ack_url", "at": "2026-03-02T09:00:00+00:00"}
    event = Event(type=ACK_REQUESTED, source="/firebreak/notify", data=data, subject=incident_id)
    with SERVICE.uow_class(runtime) as uow:
        SERVICE.event_handlers()[ACK_REQUESTED](uow, event, runtime.catalog.load_incoming(ACK_REQUESTED, data))
        uow.commit()


def test_an_ack_request_acknowledges_as_that_user_once(incident_app, token):
    client, runtime = incident_app
    admin = token("admin", "root")
    incident = client.post("/v1/incidents", json={"title": "DB slow", "severity": "major", "priority": "high",
                                                  "team": "sre", "private": True}, headers=admin).get_json()
    deliver(runtime, incident["id"], "bob")
    deliver(runtime, incident["id"], "alice")  # a second link followed later: nothing more
    deliver(runtime, "no-such-incident", "bob")
    got = client.get(f"/v1/incidents/{incident['id']}", headers=admin).get_json()
    assert got["acknowledged_at"] is not None
    entries = client.get(f"/v1/incidents/{incident['id']}/timeline", headers=admin).get_json()["items"]
    acks = [e for e in entries if e["kind"] == "acknowledged"]
    assert len(acks) == 1 and acks[0]["actor"] == "bob"
