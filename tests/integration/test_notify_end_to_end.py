"""End to end: an Alertmanager alert for team sre pages alice, then bob after the step timeout; bob's ack_url
acknowledges the incident and nobody else is paged."""

from __future__ import annotations

import time

import requests

from tests.integration.helpers import bearer
from tests.integration.notify_support import (  # noqa: F401 - receivers_fixture: the `receivers` fixture
    add_contact,
    declare,
    receivers_fixture,
    start_notify,
    wait,
)
from tests.senders import fixture

ADMIN = bearer("admin", "root")


def post(url: str, body: dict, expect: int = 201, **headers) -> dict:
    response = requests.post(url, json=body, headers={**ADMIN, **headers}, timeout=10)
    assert response.status_code == expect, response.text
    return response.json()


def test_an_alert_pages_alice_then_bob_and_bobs_ack_url_stops_the_chain(stack, receivers):
    http, _ = receivers
    for service in ("incident", "escalation"):
        declare(stack, service)
    incidents = stack.start_api("incident")
    for kind in ("relay", "consumer"):
        stack.start("incident", kind)
        stack.start("escalation", kind)
    stack.start("escalation", "scheduler")
    escalation = stack.start_api("escalation")
    notify = start_notify(stack, kinds=("consumer", "relay", "scheduler"))

    post(f"{escalation}/v1/teams", {"name": "sre", "members": [{"user": "alice"}, {"user": "bob"}]})
    # alice first; bob after 3 s; then (unless someone acknowledges) alice again after 10 s.
    post(f"{escalation}/v1/escalation-policies", {"name": "sre-policy", "team": "sre", "repeat": 1, "steps": [
        {"targets": [{"kind": "user", "id": "alice"}], "timeout_seconds": 3},
        {"targets": [{"kind": "user", "id": "bob"}], "timeout_seconds": 10}]})
    for user in ("alice", "bob"):
        add_contact(notify, user, {"kind": "webhook", "address": f"{http.url}/{user}", "secret": f"{user}-s3cret"})
    key = post(f"{incidents}/v1/integrations", {"name": "am", "kind": "alertmanager", "default_team": "sre"})["key"]

    accepted = requests.post(f"{incidents}/v1/alerts/alertmanager", json=fixture("alertmanager-v4-firing.json"),
                             headers={"X-Firebreak-Key": key}, timeout=10)
    assert accepted.status_code == 202, accepted.text
    wait(lambda: http.at("/alice"), stack, "alice's page")
    page = http.at("/alice")[0].json()
    assert page["incident"]["team"] == "sre" and page["ack_url"]
    incident_id = page["incident"]["id"]

    wait(lambda: http.at("/bob"), stack, "bob's page after the step timeout")
    bob_paged = time.monotonic()
    bob_page = http.at("/bob")[0].json()
    done = requests.post(bob_page["ack_url"], headers={"Accept": "application/json"}, timeout=10)
    assert done.status_code == 200 and done.json()["acknowledged"] is True

    def acknowledged_by():
        got = requests.get(f"{incidents}/v1/incidents/{incident_id}", headers=ADMIN, timeout=10).json()
        return got["acknowledged_at"] and got

    wait(acknowledged_by, stack, "the incident acknowledged")
    timeline = requests.get(f"{incidents}/v1/incidents/{incident_id}/timeline", headers=ADMIN,
                            timeout=10).json()["items"]
    assert [e["actor"] for e in timeline if e["kind"] == "acknowledged"] == ["bob"]
    chain = requests.get(f"{escalation}/v1/escalations", params={"incident_id": incident_id}, headers=ADMIN,
                         timeout=10)
    wait(lambda: requests.get(f"{escalation}/v1/escalations", params={"incident_id": incident_id}, headers=ADMIN,
                              timeout=10).json()["status"] == "acknowledged", stack, f"the chain to stop: {chain.text}")
    # Past bob's step timeout: a live chain would have paged alice again by now.
    time.sleep(max(0.0, bob_paged + 11 - time.monotonic()))
    assert len(http.at("/alice")) == 1 and len(http.at("/bob")) == 1
