"""The incident service's own events drive the SLA clocks: its API and workflow in, SLA state and events out."""

from __future__ import annotations

import pytest
import requests

from firebreak.devstack import wait_for
from tests.integration.helpers import bearer
from tests.integration.test_sla_rules import SlaEvents

pytestmark = pytest.mark.integration


def test_incident_workflow_drives_the_sla_clocks(stack):
    events = SlaEvents(stack.rabbitmq.url)
    incidents = stack.start_api("incident")
    stack.start("incident", "relay")
    for kind in ("consumer", "scheduler", "relay"):
        stack.start("sla", kind)
    sla = stack.start_api("sla")
    policy = requests.post(f"{sla}/v1/sla/policies", headers=bearer("admin"), timeout=10, json={
        "name": "payments", "team": "payments", "targets": {"high": {"response": 60, "resolution": 120}}})
    assert policy.status_code == 201, policy.text

    created = requests.post(f"{incidents}/v1/incidents", headers=bearer(), timeout=10, json={
        "title": "Card payments failing", "severity": "major", "priority": "high", "team": "payments"})
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]

    def act(action: str, **body) -> None:
        response = requests.post(f"{incidents}/v1/incidents/{incident_id}/actions/{action}", json=body,
                                 headers=bearer(), timeout=10)
        assert response.status_code == 200, response.text

    def sla_view(**expect):
        response = requests.get(f"{sla}/v1/sla/incidents/{incident_id}", headers=bearer("viewer"), timeout=5)
        if not response.ok:
            return None
        view = response.json()
        return view if all(_at(view, path) == value for path, value in expect.items()) else None

    wait_for(lambda: sla_view(status="new"), timeout=30, what=f"sla to learn of the incident\n{stack.logs()}")
    act("acknowledge")
    act("start")
    view = wait_for(lambda: sla_view(status="in_progress", targets__response__state="met"), timeout=30,
                    what="the response to be met")
    assert view["policy"]["name"] == "payments" and view["targets"]["response"]["target_seconds"] == 60
    act("hold", reason="waiting for the card network")
    wait_for(lambda: sla_view(targets__resolution__state="paused"), timeout=30, what="the hold to pause")
    act("resume")
    wait_for(lambda: sla_view(status="in_progress", targets__resolution__paused=False), timeout=30,
             what="the resume")
    act("resolve", resolution_code="fixed", resolution_summary="Rolled back the gateway")
    act("reopen", reason="failing again")
    wait_for(lambda: sla_view(targets__resolution__cycle=2, targets__resolution__state="ok"), timeout=30,
             what="a new resolution clock")
    act("resolve", resolution_code="workaround", resolution_summary="Routed around the gateway")
    act("close")
    view = wait_for(lambda: sla_view(status="closed", targets__resolution__state="met"), timeout=30,
                    what="the second resolution to be met")
    assert [(h["cycle"], h["state"]) for h in view["history"]] == [(1, "met")]
    wait_for(lambda: len(events.kinds(incident_id)) >= 3, timeout=30, what="the met events")
    events.stop.set()
    assert events.kinds(incident_id) == [("met", "response", 1), ("met", "resolution", 1), ("met", "resolution", 2)]


def _at(view: dict, path: str):
    value = view
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value
