"""Manual escalation in-process: hierarchical up the tree until the top (409), functional to any team."""

from __future__ import annotations


def setup_tree(esc, admin):
    for name, parent in (("l3", None), ("l2", "l3"), ("l1", "l2"), ("dba", None)):
        members = [{"user": f"{name}-lead", "role": "lead"}]
        assert esc.client.post("/v1/teams", json={"name": name, "parent": parent, "members": members},
                               headers=admin).status_code == 201
        esc.client.post("/v1/escalation-policies", json={"name": f"{name}-p", "team": name, "steps": [
            {"targets": [{"kind": "team_lead", "id": name}], "timeout_seconds": 300}]}, headers=admin)


def test_hierarchical_goes_up_then_409_names_the_team(esc, admin):
    setup_tree(esc, admin)
    esc.incident("i1", team="l1")
    levels = []
    for _ in range(2):
        r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "hierarchical",
                                                     "reason": "no progress"}, headers=admin)
        assert r.status_code == 201, r.json
        levels.append((r.json["from_team"], r.json["to_team"], r.json["level"], r.json["actor"]))
    assert levels == [("l1", "l2", 1, "root"), ("l2", "l3", 2, "root")]
    r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "hierarchical"}, headers=admin)
    assert r.status_code == 409 and r.content_type == "application/problem+json"
    assert "'l3'" in r.json["detail"] and r.json["team"] == "l3"
    assert esc.pages() == [["l1-lead"], ["l2-lead"], ["l3-lead"]]
    state = esc.client.get("/v1/escalations?incident_id=i1", headers=admin).json
    assert (state["team"], state["level"], state["status"]) == ("l3", 2, "active")
    assert [c["status"] for c in state["items"]] == ["stopped", "stopped", "active"]
    assert [e["to_team"] for e in state["escalations"]] == ["l2", "l3"]
    # The incident confirms the first escalation late: nothing restarts, the pending one still counts.
    esc.incident("i1", "assigned", team="l2", assignee_team="l2", escalation_level=1)
    assert esc.client.get("/v1/escalations?incident_id=i1", headers=admin).json["team"] == "l3"
    esc.incident("i1", "assigned", team="l3", assignee_team="l3", escalation_level=2)
    assert len(esc.pages()) == 3


def test_functional_escalation_to_a_named_team(esc, admin):
    setup_tree(esc, admin)
    esc.incident("i1", team="l1")
    r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "functional", "to_team": "dba",
                                                 "reason": "database"}, headers=admin)
    assert r.status_code == 201 and (r.json["to_team"], r.json["level"]) == ("dba", 1)
    [event] = esc.events("firebreak.escalation.escalated.v1")
    assert {k: event[k] for k in ("incident_id", "from_team", "to_team", "level", "kind", "reason", "actor")} == {
        "incident_id": "i1", "from_team": "l1", "to_team": "dba", "level": 1, "kind": "functional",
        "reason": "database", "actor": "root"}
    assert esc.pages() == [["l1-lead"], ["dba-lead"]]


def test_private_incidents_are_hidden_from_other_teams(esc, admin, token):
    setup_tree(esc, admin)
    esc.incident("i1", team="l1", private=True)
    outsider = token("responder", "eve", ["dba"])
    assert esc.client.get("/v1/escalations?incident_id=i1", headers=outsider).status_code == 404
    r = esc.client.post("/v1/escalations", json={"incident_id": "i1", "kind": "hierarchical"}, headers=outsider)
    assert r.status_code == 404
    member = token("responder", "lou", ["l1"])
    assert esc.client.get("/v1/escalations?incident_id=i1", headers=member).status_code == 200
