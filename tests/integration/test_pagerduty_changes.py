"""PagerDuty on PostgreSQL: change events kept and listed by team, PagerDuty's error body, the alert's own start
time as the incident's detected_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from tests.integration.helpers import bearer
from tests.senders import fixture


def test_change_events_errors_and_detected_at(stack):
    api = stack.start_api("incident")
    admin = bearer("admin")
    integration = requests.post(f"{api}/v1/integrations", headers=admin, timeout=10, json={
        "name": "pd", "kind": "pagerduty", "default_team": "payments"}).json()
    key = integration["key"]

    deployed = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    change = {"routing_key": key, "payload": {"summary": "Deploy payments v42", "timestamp": deployed.isoformat(),
                                              "source": "ci", "custom_details": {"build": 42}},
              "links": [{"href": "https://ci.example.com/42", "text": "Build 42"}]}
    accepted = requests.post(f"{api}/v2/change/enqueue", json=change, timeout=10)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"status": "success", "message": "Change event processed"}

    listed = requests.get(f"{api}/v1/changes", params={"team": "payments"}, headers=bearer("viewer"), timeout=10)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["summary"], item["source"], item["team"]) == ("Deploy payments v42", "ci", "payments")
    assert datetime.fromisoformat(item["occurred_at"]) == deployed
    assert item["custom_details"] == {"build": 42} and item["links"][0]["href"] == "https://ci.example.com/42"
    assert requests.get(f"{api}/v1/changes", params={"team": "other"}, headers=bearer("viewer"),
                        timeout=10).json()["items"] == []
    later = (deployed + timedelta(minutes=1)).isoformat()
    assert requests.get(f"{api}/v1/changes", params={"since": later}, headers=bearer("viewer"),
                        timeout=10).json()["items"] == []
    assert requests.get(f"{api}/v1/changes", timeout=10).status_code == 401

    bad = requests.post(f"{api}/v2/change/enqueue", json={"routing_key": key, "payload": {}}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["status"] == "invalid event" and bad.json()["message"] == "Event object is invalid"
    assert any("summary" in e for e in bad.json()["errors"])
    invalid = requests.post(f"{api}/v2/enqueue", json={"routing_key": key, "event_action": "explode"}, timeout=10)
    assert invalid.status_code == 400
    assert invalid.json()["status"] == "invalid event" and invalid.json()["errors"]

    started = datetime.now(UTC) - timedelta(minutes=3)
    trigger = fixture("pagerduty-v2-trigger.json")
    trigger["routing_key"] = key
    trigger["payload"]["timestamp"] = started.isoformat()
    assert requests.post(f"{api}/v2/enqueue", json=trigger, timeout=10).status_code == 202
    [incident] = requests.get(f"{api}/v1/incidents", headers=admin, timeout=10).json()["items"]
    assert datetime.fromisoformat(incident["detected_at"]) == started.replace(microsecond=started.microsecond)
    assert datetime.fromisoformat(incident["detected_at"]) < datetime.fromisoformat(incident["created_at"])
    metrics = requests.get(f"{api}/metrics", timeout=10).text
    count = [line for line in metrics.splitlines() if line.startswith("firebreak_incident_time_to_detect_seconds_count")
             and float(line.rsplit(" ", 1)[1]) > 0]
    assert len(count) == 1
