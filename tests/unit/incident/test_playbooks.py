"""Playbooks: attached by incident type or by hand, checklists on the timeline, copies not references."""

from __future__ import annotations

PLAYBOOK = {"name": "Database outage", "incident_type": "database",
            "stages": [{"name": "Triage", "items": [{"title": "Check replication", "assignee_role": "commander"},
                                                    {"title": "Page the DBA"}]},
                       {"name": "Recovery", "items": [{"title": "Fail over"}]}]}


def test_type_attaches_playbook_on_creation_and_edits_never_reach_running_incidents(api, declare):
    api("POST", "/v1/incident-types", {"name": "database", "default_team": "dba"}, role="admin", expect=201)
    playbook = api("POST", "/v1/playbooks", PLAYBOOK, role="admin", expect=201).get_json()
    incident = declare(incident_type="database")
    assert incident["team"] == "dba"
    items = api("GET", f"/v1/incidents/{incident['id']}/checklists").get_json()["items"]
    # The playbook's stage order (Triage before Recovery), not the alphabet's.
    assert [(i["stage"], i["title"]) for i in items] == [("Triage", "Check replication"), ("Triage", "Page the DBA"),
                                                          ("Recovery", "Fail over")]
    api("PATCH", f"/v1/playbooks/{playbook['id']}", {"stages": [{"name": "Only", "items": [{"title": "New"}]}]},
        role="admin", expect=200)
    again = api("GET", f"/v1/incidents/{incident['id']}/checklists").get_json()["items"]
    assert [i["title"] for i in again] == [i["title"] for i in items]
    fresh = declare(incident_type="database")
    assert [i["title"] for i in api("GET", f"/v1/incidents/{fresh['id']}/checklists").get_json()["items"]] == \
        ["New"]
    api("DELETE", f"/v1/playbooks/{playbook['id']}", role="admin", expect=204)
    assert len(api("GET", f"/v1/incidents/{incident['id']}/checklists").get_json()["items"]) == 3


def test_checklist_operations_are_each_on_the_timeline(api, declare):
    playbook = api("POST", "/v1/playbooks", {**PLAYBOOK, "incident_type": None}, role="admin",
                   expect=201).get_json()
    iid = declare()["id"]
    attached = api("POST", f"/v1/incidents/{iid}/checklists", {"playbook_id": playbook["id"]}, expect=201)
    assert len(attached.get_json()["items"]) == 3
    api("POST", f"/v1/incidents/{iid}/checklists", {"playbook_id": playbook["id"]}, expect=422)
    item = api("POST", f"/v1/incidents/{iid}/checklists/items", {"stage": "Triage", "title": "Check disks"},
               expect=201).get_json()
    assert item["position"] == 2 and item["playbook_name"] == "ad hoc"
    api("PATCH", f"/v1/incidents/{iid}/checklists/items/{item['id']}", {"op": "rename", "title": "Check disk space"},
        expect=200)
    api("PATCH", f"/v1/incidents/{iid}/checklists/items/{item['id']}", {"op": "move", "stage": "Recovery",
                                                                         "position": 0}, expect=200)
    checked = api("PATCH", f"/v1/incidents/{iid}/checklists/items/{item['id']}", {"op": "check"},
                  expect=200).get_json()
    assert checked["checked"] and checked["checked_by"] == "alice"
    api("PATCH", f"/v1/incidents/{iid}/checklists/items/{item['id']}", {"op": "check"}, expect=422)
    api("PATCH", f"/v1/incidents/{iid}/checklists/items/{item['id']}", {"op": "uncheck"}, expect=200)
    api("DELETE", f"/v1/incidents/{iid}/checklists/items/{item['id']}", expect=204)
    api("DELETE", f"/v1/incidents/{iid}/checklists/items/{item['id']}", expect=404)
    entries = [e["summary"] for e in api("GET", f"/v1/incidents/{iid}/timeline?kind=checklist").get_json()["items"]]
    assert entries == ["Playbook attached: Database outage",
                       "Checklist item added: Check disks (Triage)",
                       "Checklist item renamed: Check disks → Check disk space",
                       "Checklist item moved: Check disk space → Recovery #0",
                       "Checklist item checked: Check disk space",
                       "Checklist item unchecked: Check disk space",
                       "Checklist item removed: Check disk space"]


def test_playbook_and_type_admin_only_and_validated(api):
    api("POST", "/v1/playbooks", PLAYBOOK, role="responder", expect=403)
    api("POST", "/v1/incident-types", {"name": "x"}, role="responder", expect=403)
    dup = {**PLAYBOOK, "stages": [{"name": "A"}, {"name": "A"}]}
    assert api("POST", "/v1/playbooks", dup, role="admin", expect=422).get_json()["errors"][0]["field"] == "stages"
    api("POST", "/v1/playbooks", {**PLAYBOOK, "stages": []}, role="admin", expect=422)
    api("POST", "/v1/playbooks", PLAYBOOK, role="admin", expect=201)
    api("POST", "/v1/playbooks", PLAYBOOK, role="admin", expect=422)
    page = api("GET", "/v1/playbooks?limit=1", role="viewer", expect=200).get_json()
    assert [p["name"] for p in page["items"]] == ["Database outage"] and page["next_cursor"] is None
    api("POST", "/v1/incidents", {"title": "t", "severity": "minor", "priority": "low", "incident_type": "nope"},
        expect=422)


def test_stages_keep_the_playbook_order_as_items_are_added_and_moved(api, declare):
    playbook = api("POST", "/v1/playbooks", {"name": "Outage", "stages": [
        {"name": "Triage", "items": [{"title": "Look"}]}, {"name": "Mitigate", "items": [{"title": "Fix"}]},
        {"name": "Communicate", "items": [{"title": "Tell"}]}]}, role="admin", expect=201).get_json()
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/checklists", {"playbook_id": playbook["id"]}, expect=201)
    items = api("GET", f"/v1/incidents/{iid}/checklists").get_json()["items"]
    assert [i["stage"] for i in items] == ["Triage", "Mitigate", "Communicate"]
    fix = next(i for i in items if i["title"] == "Fix")
    api("PATCH", f"/v1/incidents/{iid}/checklists/items/{fix['id']}", {"op": "move", "stage": "Triage",
                                                                        "position": 1}, expect=200)
    items = api("GET", f"/v1/incidents/{iid}/checklists").get_json()["items"]
    assert [(i["stage"], i["title"]) for i in items] == [("Triage", "Look"), ("Triage", "Fix"), ("Communicate", "Tell")]
