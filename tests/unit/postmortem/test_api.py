"""The postmortem API over events fed to its consumer: generate, formats, lifecycle, visibility, templates."""

from __future__ import annotations

from tests.unit.postmortem.conftest import INCIDENT, IncidentStory, at, outbox


def generate(api, incident_id="inc-1", timeline="important", expect=201, **kw):
    return api("POST", "/v1/postmortems", {"incident_id": incident_id, "timeline": timeline}, expect=expect, **kw)


def test_no_postmortem_before_the_incident_is_resolved(api, deliver):
    story = IncidentStory(deliver)
    story.event("created", 0, "Incident declared")
    body = generate(api, expect=409).get_json()
    assert body["errors"][0]["field"] == "incident_id" and "resolved" in body["detail"]
    assert generate(api, "nope", expect=404).get_json()["errors"][0]["field"] == "incident_id"


def test_important_timeline_in_time_order_with_the_edited_time(api, deliver):
    IncidentStory(deliver).resolved_story()
    doc = generate(api).get_json()
    assert [e["summary"] for e in doc["timeline"]] == ["Deploy 4711 went out", "Rolled back 4711"]
    edited = doc["timeline"][1]
    assert edited["occurred_at"] == at(25) and edited["time_edited"] and edited["original_occurred_at"] == at(30)
    assert doc["key_times"] == {"detected": at(0), "acknowledged": at(4), "stable": at(40), "resolved": at(60)}
    assert doc["durations"] == {"time_to_acknowledge": 240.0, "time_to_mitigate": 2400.0,
                                "time_to_resolve": 3600.0}
    assert doc["customer_impact"]["total_seconds"] == 33 * 60
    assert doc["status"] == "draft" and doc["text"]["root_cause"] == "Rolled back deploy 4711"
    second = generate(api, expect=409).get_json()
    assert second["postmortem_id"] == doc["id"] and doc["id"] in second["detail"]

    everything = api("POST", f"/v1/postmortems/{doc['id']}/regenerate", {"timeline": "all"}, expect=200).get_json()
    summaries = [e["summary"] for e in everything["timeline"]]
    assert len(summaries) == 8 and summaries.index("Rolled back 4711") < summaries.index("Stable")
    times = [e["occurred_at"] for e in everything["timeline"]]
    assert times == sorted(times)


def test_regenerate_keeps_edited_text_and_edits_stop_at_publish(api, deliver, pm):
    story = IncidentStory(deliver)
    story.resolved_story()
    doc = generate(api).get_json()
    pid = doc["id"]
    api("PATCH", f"/v1/postmortems/{pid}", {"went_well": "Fast rollback", "root_cause": "Bad config"}, expect=200)
    deliver("firebreak.sla.met.v1", {"incident_id": "inc-1", "target": "resolution", "cycle": 1, "outcome": "met",
                                     "target_seconds": 28800, "at": at(60)}, 1, subject="inc-1")
    again = api("POST", f"/v1/postmortems/{pid}/regenerate", {}, expect=200).get_json()
    assert again["text"]["went_well"] == "Fast rollback" and again["text"]["root_cause"] == "Bad config"
    assert again["sla"][0]["state"] == "met" and again["timeline_mode"] == "important"
    api("POST", f"/v1/postmortems/{pid}/review", expect=200)
    published = api("POST", f"/v1/postmortems/{pid}/publish", expect=200).get_json()
    assert published["status"] == "published" and published["published_by"] == "alice"
    assert api("PATCH", f"/v1/postmortems/{pid}", {"went_wrong": "x"}, expect=409).get_json()["status"] == 409
    api("POST", f"/v1/postmortems/{pid}/regenerate", {}, expect=409)
    api("POST", f"/v1/postmortems/{pid}/publish", expect=409)
    [(event_type, headers, body)] = [e for e in outbox(pm) if e[0].endswith("published.v1")]
    assert headers["ce-subject"] == "inc-1" and body["postmortem_id"] == pid and body["action_items"] == 0


def test_markdown_and_html_have_the_sections_and_escape_the_title(api, deliver):
    IncidentStory(deliver, title="<script>alert(1)</script> Checkout").resolved_story()
    pid = generate(api).get_json()["id"]
    markdown = api("GET", f"/v1/postmortems/{pid}?format=markdown", expect=200)
    assert markdown.mimetype == "text/markdown"
    md = markdown.get_data(as_text=True)
    for heading in ("## Summary", "## Customer impact", "## Key times", "## SLA outcome", "## Escalation path",
                    "## Timeline", "## Root cause", "## Detection method", "## What went well",
                    "## What went wrong", "## Action items"):
        assert heading in md
    assert "Time to acknowledge: 4m 00s" in md and "Time to resolve: 1h 00m 00s" in md
    assert "Total customer impact: 33m 00s" in md
    html = api("GET", f"/v1/postmortems/{pid}?format=html", expect=200).get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Checkout" in html
    assert 'id="key-times"' in html and "Time to mitigate: 40m 00s" in html
    api("GET", f"/v1/postmortems/{pid}?format=docx", expect=422)


def test_private_incident_postmortem_only_for_its_team_and_admins(api, deliver):
    IncidentStory(deliver, private=True, team="payments").resolved_story()
    generate(api, expect=404, teams=["web"])
    pid = generate(api, teams=["payments"]).get_json()["id"]
    api("GET", f"/v1/postmortems/{pid}", role="viewer", teams=["web"], expect=404)
    api("GET", f"/v1/postmortems/{pid}", role="viewer", teams=["payments"], expect=200)
    api("GET", f"/v1/postmortems/{pid}", role="admin", expect=200)
    assert api("GET", "/v1/postmortems", role="viewer", teams=["web"]).get_json()["items"] == []
    assert len(api("GET", "/v1/postmortems", role="viewer", teams=["payments"]).get_json()["items"]) == 1
    assert api("GET", "/v1/postmortems?incident_id=inc-1", role="admin").get_json()["items"][0]["id"] == pid
    assert api("GET", "/v1/postmortems?incident_id=other", role="admin").get_json()["items"] == []


def test_action_items_are_announced_and_overdue_ones_found(api, deliver, pm):
    IncidentStory(deliver).resolved_story()
    pid = generate(api).get_json()["id"]
    late = api("POST", f"/v1/postmortems/{pid}/action-items", {"title": "Add a deploy canary", "owner": "bob",
               "due_date": "2026-03-01", "priority": "high"}, expect=201).get_json()
    api("POST", f"/v1/postmortems/{pid}/action-items", {"title": "Write runbook", "due_date": "2026-04-01"},
        expect=201)
    api("POST", f"/v1/postmortems/{pid}/action-items", {"title": " "}, expect=422)
    created = [b for t, _, b in outbox(pm) if t.endswith("action_item_created.v1")]
    assert len(created) == 2
    overdue = api("GET", "/v1/action-items?overdue=true", role="viewer").get_json()["items"]
    assert [i["id"] for i in overdue] == [late["id"]]
    api("PATCH", f"/v1/action-items/{late['id']}", {"status": "done"}, expect=200)
    assert api("GET", "/v1/action-items?overdue=true", role="viewer").get_json()["items"] == []
    assert len(api("GET", f"/v1/postmortems/{pid}/action-items").get_json()["items"]) == 2
    metrics = api("GET", "/metrics").get_data(as_text=True)
    assert 'firebreak_postmortems{status="draft"} 1.0' in metrics
    assert 'firebreak_postmortems{status="published"} 0.0' in metrics
    assert "firebreak_postmortem_action_items_open 1.0" in metrics


def test_duplicate_and_stale_events_change_nothing(api, deliver):
    story = IncidentStory(deliver)
    story.resolved_story()
    stale = {**story.state, "status": "in_progress", "resolved_at": None, "timeline_entry": None}
    deliver(f"{INCIDENT}status_changed.v1", stale, 2)
    generate(api, expect=201)


def test_templates_are_sandboxed_and_used(api, deliver):
    IncidentStory(deliver).resolved_story()
    pid = generate(api).get_json()["id"]
    bad = {"name": "bad", "markdown": "{% for %}", "html": "<p>x</p>"}
    assert api("POST", "/v1/postmortem-templates", bad, role="admin", expect=422).get_json()["errors"][0][
        "field"] == "markdown"
    evil = {"name": "evil", "markdown": "{{ pm.__class__.__mro__ }}", "html": "<p>{{ pm.incident.title }}</p>"}
    tid = api("POST", "/v1/postmortem-templates", evil, role="admin", expect=201).get_json()["id"]
    api("PATCH", f"/v1/postmortems/{pid}", {"template_id": tid}, expect=200)
    api("GET", f"/v1/postmortems/{pid}?format=markdown", expect=422)
    loop = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    api("PUT", f"/v1/postmortem-templates/{tid}", {**evil, "markdown": loop}, role="admin", expect=200)
    api("GET", f"/v1/postmortems/{pid}?format=markdown", expect=422)
    short = {**evil, "markdown": "# {{ pm.incident.reference }}: {{ pm.durations.time_to_resolve | duration }}"}
    api("PUT", f"/v1/postmortem-templates/{tid}", short, role="admin", expect=200)
    body = api("GET", f"/v1/postmortems/{pid}?format=markdown", expect=200).get_data(as_text=True)
    assert body == "# INC-20260301-ABCDEF: 1h 00m 00s"


def test_auto_draft_on_resolve_for_chosen_severities(api, deliver):
    template = {"name": "sev", "markdown": "# {{ pm.incident.title }}", "html": "<h1>x</h1>",
                "auto_draft_severities": ["critical"], "timeline": "all"}
    api("POST", "/v1/postmortem-templates", template, role="admin", expect=201)
    IncidentStory(deliver, "inc-major").resolved_story()
    IncidentStory(deliver, "inc-crit", severity="critical").resolved_story()
    items = api("GET", "/v1/postmortems").get_json()["items"]
    assert [i["incident_id"] for i in items] == ["inc-crit"]
    doc = api("GET", f"/v1/postmortems/{items[0]['id']}").get_json()
    assert doc["created_by"] == "firebreak" and doc["timeline_mode"] == "all" and len(doc["timeline"]) == 8


def test_pdf_from_the_html(api, deliver):
    IncidentStory(deliver).resolved_story()
    pid = generate(api).get_json()["id"]
    response = api("GET", f"/v1/postmortems/{pid}?format=pdf", expect=200)
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_escalation_path_and_sla_outcome_sections(api, deliver):
    IncidentStory(deliver).resolved_story()
    step = {"escalation_id": "e1", "incident_id": "inc-1", "team": "payments", "level": 1, "at": at(1), "step": 0,
            "round": 1, "users": ["bob"], "trigger": "step", "token": 1}
    deliver("firebreak.escalation.step_fired.v1", step, 1, subject="inc-1", event_id="ev-1")
    deliver("firebreak.escalation.step_fired.v1", step, 1, subject="inc-1", event_id="ev-1")
    deliver("firebreak.escalation.escalated.v1", {"incident_id": "inc-1", "from_team": "payments", "to_team": "sre",
                                                  "level": 2, "kind": "hierarchical", "reason": "no answer",
                                                  "actor": "system", "at": at(8)}, 2, subject="inc-1")
    deliver("firebreak.sla.breached.v1", {"incident_id": "inc-1", "target": "response", "cycle": 1,
                                          "target_seconds": 60, "overdue_seconds": 180, "at": at(1)}, 1,
            subject="inc-1")
    doc = generate(api).get_json()
    assert [(s["kind"], s["level"]) for s in doc["escalation_path"]] == [("step_fired", 1), ("escalated", 2)]
    assert doc["sla"] == [{"target": "response", "cycle": 1, "state": "breached", "target_seconds": 60.0,
                           "elapsed_seconds": None, "overdue_seconds": 180.0, "due_at": None, "at": at(1),
                           "policy": None}]
    md = api("GET", f"/v1/postmortems/{doc['id']}?format=markdown", expect=200).get_data(as_text=True)
    assert "- response (cycle 1): breached, target 1m 00s, overdue 3m 00s" in md
    assert "step_fired level 1 to payments (bob)" in md and "escalated level 2 to sre: no answer" in md
