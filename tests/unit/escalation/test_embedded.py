"""The embedded platform (`firebreak run`) runs the escalation service: routes, consumer and scheduler loops."""

from __future__ import annotations

from werkzeug.test import Client

from firebreak.devstack import wait_for
from firebreak.embedded import Platform


def test_embedded_platform_pages_for_a_new_incident(base_env, token):
    platform = Platform(base_env)
    platform.prepare()
    platform.start_loops()
    try:
        client = Client(platform.wsgi())
        admin = token("admin", "root")
        assert client.post("/v1/teams", json={"name": "ops", "members": [{"user": "ann"}]},
                           headers=admin).status_code == 201
        assert client.post("/v1/escalation-policies", json={"name": "ops", "team": "ops", "steps": [
            {"targets": [{"kind": "team", "id": "ops"}], "timeout_seconds": 300}]}, headers=admin).status_code == 201
        created = client.post("/v1/incidents", json={"title": "Down", "severity": "major", "priority": "high",
                                                     "team": "ops"}, headers=admin)
        assert created.status_code == 201, created.json
        incident_id = created.json["id"]

        def paged():
            r = client.get(f"/v1/escalations?incident_id={incident_id}", headers=admin)
            return r.status_code == 200 and r.json["items"] and r.json["items"][0]["steps"]

        steps = wait_for(paged, timeout=30, what="the embedded escalation service to page")
        assert steps[0]["users"] == ["ann"]
        assert "/v1/oncall" in client.get("/openapi.json", headers=admin).json["paths"]
    finally:
        platform.shutdown()
