"""The incident API: workflow over HTTP, timeline, children, visibility, concurrency, history."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text


def ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def test_seed_walk_through(api, declare):
    inc = declare(title="[TEST] My incident", severity="unknown", priority="medium")
    iid = inc["id"]
    assert inc["reference"].startswith("INC-") and inc["status"] == "new" and inc["commander"] == "alice"
    api("PATCH", f"/v1/incidents/{iid}", {"severity": "major", "detection_method": "monitor"}, expect=200)
    impact = api("POST", f"/v1/incidents/{iid}/impacts",
                 {"start_at": ago(15), "description": "Checkout fails for EU customers"}, expect=201).get_json()
    impact_entry = [e for e in api("GET", f"/v1/incidents/{iid}/timeline").get_json()["items"]
                    if e["kind"] == "impact"][0]
    api("PATCH", f"/v1/incidents/{iid}/timeline/{impact_entry['id']}", {"important": True}, expect=200)
    note = api("POST", f"/v1/incidents/{iid}/timeline",
               {"text": "Deploy 4711 went out", "occurred_at": ago(10)}, expect=201).get_json()
    api("PATCH", f"/v1/incidents/{iid}/timeline/{note['id']}", {"important": True}, expect=200)
    api("POST", f"/v1/incidents/{iid}/links", {"kind": "runbook", "url": "https://runbooks.example/checkout",
                                                "title": "Checkout runbook"}, expect=201)
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    task = api("POST", f"/v1/incidents/{iid}/tasks", {"description": "Add canary for deploys", "assignee": "bob",
                                                       "due_at": due}, expect=201).get_json()
    assert task["phase"] == "remediation" and task["status"] == "open"
    api("POST", f"/v1/incidents/{iid}/actions/start", expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/stabilize", expect=200)
    resolved = api("POST", f"/v1/incidents/{iid}/actions/resolve",
                   {"resolution_code": "fixed", "resolution_summary": "Rolled back 4711"}, expect=200).get_json()
    assert resolved["status"] == "resolved" and resolved["severity"] == "major"
    assert resolved["detection_method"] == "monitor"
    assert resolved["allowed_actions"] == ["close", "reopen"]

    timeline = api("GET", f"/v1/incidents/{iid}/timeline").get_json()["items"]
    kinds = [e["kind"] for e in timeline]
    # in order of occurrence: the impact started 15 min ago but was recorded after the declaration,
    # the note is dated 10 minutes back, so it sits before everything recorded now
    assert kinds[0] == "note" and timeline[0]["summary"] == "Deploy 4711 went out"
    assert kinds[1] == "created" and sorted(kinds[2:4]) == ["severity_changed", "updated"]
    assert kinds[4:] == ["impact", "link", "task", "status_changed", "status_changed", "resolved"]
    times = [e["occurred_at"] for e in timeline]
    assert times == sorted(times)
    important = api("GET", f"/v1/incidents/{iid}/timeline?important=true").get_json()["items"]
    assert {e["kind"] for e in important} == {"note", "impact"}
    impacts = api("GET", f"/v1/incidents/{iid}/impacts").get_json()
    assert impacts["items"][0]["id"] == impact["id"] and impacts["total_impact_seconds"] >= 15 * 60 - 5
    assert api("GET", f"/v1/incidents/{iid}/timeline?kind=task").get_json()["items"][0]["summary"].endswith(
        "Add canary for deploys")


def test_illegal_transition_is_409_naming_status_and_allowed_actions(api, declare):
    iid = declare()["id"]
    body = api("POST", f"/v1/incidents/{iid}/actions/close", expect=409).get_json()
    assert body["current_status"] == "new"
    assert body["allowed_actions"] == ["assign", "acknowledge", "start", "resolve"]
    assert "cannot close" in body["detail"]
    api("POST", f"/v1/incidents/{iid}/actions/explode", expect=404)


def test_closed_incident_rejects_every_write(api, declare):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/actions/resolve", {"resolution_code": "no_action",
                                                          "resolution_summary": "false alarm"}, expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/close", expect=200)
    writes = [("PATCH", f"/v1/incidents/{iid}", {"title": "x"}),
              ("POST", f"/v1/incidents/{iid}/timeline", {"text": "x"}),
              ("POST", f"/v1/incidents/{iid}/tasks", {"description": "x"}),
              ("POST", f"/v1/incidents/{iid}/impacts", {"start_at": ago(1), "description": "x"}),
              ("POST", f"/v1/incidents/{iid}/links", {"kind": "other", "url": "https://x.example"}),
              ("POST", f"/v1/incidents/{iid}/comments", {"body": "x"}),
              ("POST", f"/v1/incidents/{iid}/roles", {"role": "scribe", "user": "bob"}),
              ("POST", f"/v1/incidents/{iid}/checklists/items", {"stage": "s", "title": "t"})]
    writes += [("POST", f"/v1/incidents/{iid}/actions/{a}", {}) for a in
               ("assign", "acknowledge", "start", "hold", "resume", "stabilize", "resolve", "close", "reopen")]
    for method, path, body in writes:
        problem = api(method, path, body, expect=409).get_json()
        assert problem["current_status"] == "closed", path


def test_reopen_is_on_the_timeline_and_follow_up_tasks(api, declare):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/actions/start", expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/resolve", {"resolution_code": "workaround",
                                                          "resolution_summary": "restarted"}, expect=200)
    task = api("POST", f"/v1/incidents/{iid}/tasks", {"description": "Find root cause"}, expect=201).get_json()
    assert task["phase"] == "follow_up"
    api("POST", f"/v1/incidents/{iid}/actions/reopen", {}, expect=422)
    reopened = api("POST", f"/v1/incidents/{iid}/actions/reopen", {"reason": "errors again"}, expect=200).get_json()
    assert reopened["status"] == "in_progress" and reopened["reopened_at"] and reopened["resolved_at"] is None
    last = api("GET", f"/v1/incidents/{iid}/timeline").get_json()["items"][-1]
    assert last["kind"] == "reopened" and "errors again" in last["summary"]


def test_assign_to_me_and_reassign(api, declare):
    iid = declare()["id"]
    mine = api("POST", f"/v1/incidents/{iid}/actions/assign", {"to_me": True}, user="carol", expect=200).get_json()
    assert mine["assignee"] == "carol" and mine["status"] == "assigned"
    api("POST", f"/v1/incidents/{iid}/actions/acknowledge", expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/start", expect=200)
    again = api("POST", f"/v1/incidents/{iid}/actions/assign", {"assignee_team": "dba"}, expect=200).get_json()
    assert again["assignee_team"] == "dba" and again["status"] == "in_progress"
    api("POST", f"/v1/incidents/{iid}/actions/assign", {}, expect=422)


def test_roles_one_commander_changeable_never_removed(api, declare):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/roles", {"role": "commander", "user": "dave"}, expect=201)
    api("POST", f"/v1/incidents/{iid}/roles", {"role": "scribe", "user": "erin"}, expect=201)
    api("POST", f"/v1/incidents/{iid}/roles", {"role": "responder", "user": "frank"}, expect=201)
    api("POST", f"/v1/incidents/{iid}/roles", {"role": "responder", "user": "gina"}, expect=201)
    roles = api("GET", f"/v1/incidents/{iid}/roles").get_json()["items"]
    assert [r["user"] for r in roles if r["role"] == "commander"] == ["dave"]
    assert sorted(r["user"] for r in roles if r["role"] == "responder") == ["frank", "gina"]
    assert api("GET", f"/v1/incidents/{iid}").get_json()["commander"] == "dave"
    commander = [r for r in roles if r["role"] == "commander"][0]
    api("DELETE", f"/v1/incidents/{iid}/roles/{commander['id']}", expect=422)
    api("POST", f"/v1/incidents/{iid}/roles", {"role": "pilot", "user": "x"}, expect=422)


def test_internal_comments_hidden_from_viewers(api, declare):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/comments", {"body": "DB primary is toast", "visibility": "internal"}, expect=201)
    api("POST", f"/v1/incidents/{iid}/comments", {"body": "We are investigating", "visibility": "public"},
        expect=201)
    assert len(api("GET", f"/v1/incidents/{iid}/comments").get_json()["items"]) == 2
    seen = api("GET", f"/v1/incidents/{iid}/comments", role="viewer").get_json()["items"]
    assert [c["body"] for c in seen] == ["We are investigating"]
    timeline = api("GET", f"/v1/incidents/{iid}/timeline", role="viewer").get_json()["items"]
    assert not any("toast" in e["summary"] for e in timeline)


def test_private_incident_invisible_to_other_teams_everywhere(api, declare):
    secret = declare(team="payments", private=True)
    iid = secret["id"]
    outsider = {"role": "responder", "user": "olga", "teams": ["search"]}
    for path in (f"/v1/incidents/{iid}", f"/v1/incidents/{iid}/history", f"/v1/incidents/{iid}/timeline",
                 f"/v1/incidents/{iid}/history?format=csv", f"/v1/incidents/{iid}/tasks"):
        assert api("GET", path, **outsider).status_code == 404, path
    api("POST", f"/v1/incidents/{iid}/actions/start", expect=404, **outsider)
    listed = api("GET", "/v1/incidents?limit=200", **outsider).get_json()["items"]
    assert iid not in [i["id"] for i in listed]
    assert api("GET", f"/v1/incidents/{iid}/history", role="viewer", user="pat", teams=["payments"]).status_code == 200
    assert api("GET", f"/v1/incidents/{iid}", role="admin", user="root").status_code == 200


def test_optimistic_concurrency(api, declare, client):
    iid = declare()["id"]
    first = api("GET", f"/v1/incidents/{iid}")
    etag = first.headers["ETag"]
    api("PATCH", f"/v1/incidents/{iid}", {"title": "First writer"}, headers={"If-Match": etag}, expect=200)
    lost = api("PATCH", f"/v1/incidents/{iid}", {"title": "Second writer"}, headers={"If-Match": etag}, expect=409)
    assert lost.get_json()["current_version"] == 2
    assert api("GET", f"/v1/incidents/{iid}").get_json()["title"] == "First writer"
    api("PATCH", f"/v1/incidents/{iid}", {"title": "x"}, headers={"If-Match": "soon"}, expect=400)


def test_writer_with_a_stale_read_cannot_overwrite(api, declare, client):
    """Two writers read version 1; the second save is refused by the repository's version check."""
    from services.incident.adapters.repository import IncidentRepository
    from services.incident.domain.errors import VersionConflict

    iid = declare()["id"]
    runtime = client.application.extensions["test.runtime"]
    with runtime.session_factory() as s:
        a = IncidentRepository(s).get(iid)
        s.rollback()
    with runtime.session_factory() as s:
        b = IncidentRepository(s).get(iid)
        s.rollback()
    a.title, b.title = "A", "B"
    with runtime.session_factory() as s:
        IncidentRepository(s).save(a, a.version)
        s.commit()
    with runtime.session_factory() as s:
        try:
            IncidentRepository(s).save(b, b.version)
            raise AssertionError("second writer must not overwrite")
        except VersionConflict as conflict:
            assert conflict.extensions["current_version"] == 2
    assert api("GET", f"/v1/incidents/{iid}").get_json()["title"] == "A"


def test_history_export_json_csv_markdown(api, declare):
    iid = declare(title="Pipe | title")["id"]
    api("POST", f"/v1/incidents/{iid}/timeline", {"text": "first note", "important": True}, expect=201)
    data = api("GET", f"/v1/incidents/{iid}/history", expect=200).get_json()
    assert data["incident"]["id"] == iid and [e["kind"] for e in data["timeline"]] == ["created", "note"]
    raw = api("GET", f"/v1/incidents/{iid}/history?format=csv", expect=200)
    assert raw.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.get_data(as_text=True))))
    assert rows[0] == ["occurred_at", "kind", "actor", "important", "summary"] and rows[2][1:4] == ["note", "alice",
                                                                                                     "yes"]
    md = api("GET", f"/v1/incidents/{iid}/history?format=markdown", expect=200).get_data(as_text=True)
    assert md.startswith("# INC-") and "Pipe | title" in md and "★ first note" in md
    api("GET", f"/v1/incidents/{iid}/history?format=pdf", expect=422)


def test_list_filters_sort_and_cursor(api, declare):
    made = [declare(title=f"db {i}", severity=sev, priority=pri, team=team)
            for i, (sev, pri, team) in enumerate([("critical", "critical", "db"), ("minor", "low", "db"),
                                                  ("major", "high", "web"), ("minor", "medium", "web")])]
    api("POST", f"/v1/incidents/{made[1]['id']}/actions/resolve",
        {"resolution_code": "fixed", "resolution_summary": "ok"}, expect=200)

    def ids(query):
        return [i["id"] for i in api("GET", f"/v1/incidents?{query}", expect=200).get_json()["items"]]

    assert ids("team=db") == [made[1]["id"], made[0]["id"]]
    assert ids("open=true&team=db") == [made[0]["id"]]
    assert set(ids("severity=minor")) == {made[1]["id"], made[3]["id"]}
    assert ids("sort=priority") == [m["id"] for m in (made[0], made[2], made[3], made[1])]
    assert ids("q=DB 2") == [made[2]["id"]]
    assert ids("status=resolved") == [made[1]["id"]]
    walked, cursor = [], ""
    while True:
        page = api("GET", f"/v1/incidents?sort=severity&limit=1{cursor}", expect=200).get_json()
        walked += [(i["id"], i["severity"]) for i in page["items"]]
        # a write between pages must neither repeat nor skip what was already there
        declare(title="late arrival", severity="critical")
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    walked_ids = [i for i, _ in walked]
    assert len(walked_ids) == len(set(walked_ids))
    assert {m["id"] for m in made} <= set(walked_ids)
    ranks = ["critical", "major", "moderate", "minor", "unknown"]
    assert [ranks.index(sev) for _, sev in walked] == sorted(ranks.index(sev) for _, sev in walked)
    api("GET", "/v1/incidents?sort=colour", expect=422)
    other_sort = api("GET", "/v1/incidents?sort=severity&limit=1", expect=200).get_json()["next_cursor"]
    problem = api("GET", f"/v1/incidents?sort=priority&cursor={other_sort}", expect=422).get_json()
    assert problem["errors"][0]["field"] == "cursor"


def test_every_change_writes_outbox_event_with_snapshot_and_sequence(api, declare, client):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/actions/acknowledge", expect=200)
    api("PATCH", f"/v1/incidents/{iid}", {"priority": "critical"}, expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/start", expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/hold", {"reason": "vendor"}, expect=200)
    runtime = client.application.extensions["test.runtime"]
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, headers, body FROM outbox ORDER BY id")).all()
    types = [r.type.split(".")[2] for r in rows]
    assert types == ["created", "acknowledged", "priority_changed", "status_changed", "status_changed"]
    seqs = [int(json.loads(r.headers)["ce-sequence"]) if isinstance(r.headers, str) else int(r.headers["ce-sequence"])
            for r in rows]
    assert seqs == [1, 2, 3, 4, 5]
    held = json.loads(rows[-1].body)
    assert held["status"] == "on_hold" and held["hold_reason"] == "vendor" and held["priority"] == "critical"
    assert held["changes"]["status"] == {"old": "in_progress", "new": "on_hold"} and held["actor"] == "alice"


def test_reference_clash_draws_a_new_reference(api, declare, monkeypatch):
    from services.incident.adapters import repository
    from services.incident.domain import model

    drawn = iter(["INC-20260101-AAAAAA", "INC-20260101-AAAAAA", "INC-20260101-BBBBBB"])
    monkeypatch.setattr(model, "new_reference", lambda now: next(drawn))
    monkeypatch.setattr(repository, "new_reference", lambda now: next(drawn))
    first, second = declare(), declare()
    assert first["reference"] == "INC-20260101-AAAAAA" and second["reference"] == "INC-20260101-BBBBBB"
    assert api("GET", f"/v1/incidents/{second['id']}").get_json()["reference"] == "INC-20260101-BBBBBB"
