"""The escalation API through Flask's test client: teams, schedules, policies, errors as problem+json."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def team(client, headers, name, parent=None, members=()):
    return client.post("/v1/teams", json={"name": name, "parent": parent, "members": list(members)}, headers=headers)


def test_teams_by_name_with_hierarchy(esc, admin):
    assert team(esc.client, admin, "support-l3").status_code == 201
    assert team(esc.client, admin, "support-l2", "support-l3").status_code == 201
    r = team(esc.client, admin, "support-l1", "support-l2", [{"user": "ann", "role": "lead"}, {"user": "bob"}])
    assert r.status_code == 201, r.json
    got = esc.client.get("/v1/teams/support-l1", headers=admin).json
    assert got["parent"] == "support-l2"
    assert got["members"] == [{"user": "ann", "role": "lead"}, {"user": "bob", "role": "member"}]
    changed = esc.events("firebreak.escalation.team_changed.v1")
    assert [e["name"] for e in changed] == ["support-l3", "support-l2", "support-l1"]


def test_a_cycle_in_the_hierarchy_is_refused(esc, admin):
    team(esc.client, admin, "a")
    team(esc.client, admin, "b", "a")
    team(esc.client, admin, "c", "b")
    r = esc.client.put("/v1/teams/a", json={"name": "a", "parent": "c", "members": []}, headers=admin)
    assert r.status_code == 422
    assert r.content_type == PROBLEM
    assert r.json["errors"][0]["field"] == "parent"
    assert "cycle" in r.json["errors"][0]["message"]
    r = esc.client.put("/v1/teams/a", json={"name": "a", "parent": "a", "members": []}, headers=admin)
    assert r.status_code == 422


def test_bad_input_is_problem_json_naming_the_field(esc, admin):
    r = esc.client.post("/v1/schedules", json={"name": "s", "time_zone": "Mars/Base", "layers": []}, headers=admin)
    assert r.status_code == 422 and r.content_type == PROBLEM
    assert r.json["errors"][0]["field"] == "time_zone"
    layer = {"name": "l", "participants": ["a"], "rotation": "hourly", "start": "2026-03-01T09:00:00"}
    r = esc.client.post("/v1/schedules", json={"name": "s", "layers": [layer]}, headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "layers.0.rotation"
    r = esc.client.post("/v1/escalation-policies", json={"name": "p", "team": "nobody", "steps": [
        {"targets": [{"kind": "user", "id": "a"}], "timeout_seconds": 60}]}, headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "team"
    r = esc.client.post("/v1/escalation-policies", json={"name": "p", "team": "x", "steps": []}, headers=admin)
    assert r.status_code == 422 and r.content_type == PROBLEM
    assert any(e["field"] == "steps" for e in r.json["errors"])
    r = esc.client.get("/v1/teams/nope", headers=admin)
    assert r.status_code == 404 and r.content_type == PROBLEM
    r = esc.client.get("/v1/teams")
    assert r.status_code == 401 and r.content_type == PROBLEM


def test_writes_need_admin(esc, token):
    r = team(esc.client, token("responder"), "ops")
    assert r.status_code == 403 and r.content_type == PROBLEM


def test_manual_escalation_errors(esc, admin):
    r = esc.client.post("/v1/escalations", json={"incident_id": "nope", "kind": "hierarchical"}, headers=admin)
    assert r.status_code == 404 and r.content_type == PROBLEM
    r = esc.client.post("/v1/escalations", json={"incident_id": "x", "kind": "sideways"}, headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "kind"
    team(esc.client, admin, "ops")
    esc.incident("i1")
    r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "functional"}, headers=admin)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "to_team"
    r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "hierarchical"}, headers=admin)
    assert r.status_code == 409 and "ops" in r.json["detail"] and r.json["team"] == "ops"


def test_a_team_in_use_cannot_be_deleted(esc, admin):
    team(esc.client, admin, "top")
    team(esc.client, admin, "child", "top")
    r = esc.client.delete("/v1/teams/top", headers=admin)
    assert r.status_code == 409 and r.json["children"] == ["child"]
    esc.client.post("/v1/escalation-policies", json={"name": "cp", "team": "child", "steps": [
        {"targets": [{"kind": "user", "id": "a"}], "timeout_seconds": 60}]}, headers=admin)
    assert esc.client.delete("/v1/teams/child", headers=admin).status_code == 409
    assert esc.client.delete("/v1/escalation-policies/cp", headers=admin).status_code == 204
    assert esc.client.delete("/v1/teams/child", headers=admin).status_code == 204
    assert esc.events("firebreak.escalation.team_deleted.v1")[0]["name"] == "child"
