"""Heartbeats on PostgreSQL and RabbitMQ: a missed ping opens an incident for the team, the next resolves it."""

from __future__ import annotations

import requests

from firebreak.devstack import wait_for
from tests.integration.helpers import bearer


def test_missed_ping_opens_an_incident_and_the_next_ping_resolves_it(stack):
    api = stack.start_api("incident")
    stack.start("incident", "scheduler")
    stack.start("incident", "relay")
    created = requests.post(f"{api}/v1/heartbeats", headers=bearer("admin"), timeout=10, json={
        "name": "nightly-backup", "team": "dba", "interval_seconds": 2, "grace_seconds": 1})
    assert created.status_code == 201, created.text
    beat = created.json()
    key = beat["ping_key"]
    assert beat["status"] == "new" and beat["ping_url"] == "/v1/heartbeats/nightly-backup/ping"

    ping = requests.post(f"{api}{beat['ping_url']}", headers={"X-Firebreak-Key": key}, timeout=10)
    assert ping.status_code == 200, ping.text
    assert ping.json()["status"] == "up"
    assert requests.post(f"{api}{beat['ping_url']}", headers={"X-Firebreak-Key": "fbh_wrong"},
                         timeout=10).status_code == 401
    assert requests.post(f"{api}{beat['ping_url']}", timeout=10).status_code == 401
    assert requests.post(f"{api}{beat['ping_url']}", headers=bearer("viewer"), timeout=10).status_code == 403

    def incidents() -> list[dict]:
        return requests.get(f"{api}/v1/incidents", headers=bearer("admin"), timeout=10).json()["items"]

    # No ping within 2 s + 1 s: an incident for the team.
    down = wait_for(lambda: requests.get(f"{api}/v1/heartbeats/nightly-backup", headers=bearer("viewer"),
                                         timeout=5).json()["status"] == "down", timeout=20, interval=0.2,
                    what=f"the heartbeat to go down\n{stack.logs()}")
    assert down
    [incident] = incidents()
    assert incident["title"] == "Heartbeat missed: nightly-backup"
    assert incident["team"] == "dba" and incident["status"] == "new" and incident["detected_at"]
    # Still down later: one incident, not one per interval.
    state = requests.get(f"{api}/v1/heartbeats/nightly-backup", headers=bearer("viewer"), timeout=5).json()
    assert state["incident_id"] == incident["id"]

    # The next ping (a responder's token works too) resolves it and re-arms the deadline.
    back = requests.post(f"{api}{beat['ping_url']}", headers=bearer("responder"), timeout=10)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "up" and back.json()["incident_id"] is None
    [resolved] = incidents()
    assert resolved["status"] == "resolved" and resolved["resolution_code"] == "fixed"

    # Missed again: a fresh incident.
    wait_for(lambda: len(incidents()) == 2, timeout=20, interval=0.2, what="a second incident")
    assert requests.delete(f"{api}/v1/heartbeats/nightly-backup", headers=bearer("admin"), timeout=10).status_code \
        == 204
    assert requests.get(f"{api}/v1/heartbeats", headers=bearer("viewer"), timeout=10).json()["items"] == []
