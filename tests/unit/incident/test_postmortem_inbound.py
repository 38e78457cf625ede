"""What the postmortem service needs from the incident service: timeline entries in events, and follow-up tasks."""

from __future__ import annotations

import json

from sqlalchemy import text

from libs.common.envelope import Event

ACTION_ITEM_CREATED = "firebreak.postmortem.action_item_created.v1"


def outbox(client) -> list[tuple[str, dict, dict]]:
    runtime = client.application.extensions["test.runtime"]
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, headers, body FROM outbox ORDER BY id")).all()
    return [(t, json.loads(h) if isinstance(h, str) else h, json.loads(b)) for t, h, b in rows]


def test_events_carry_their_timeline_entry_and_edits_are_announced(api, declare, client):
    iid = declare()["id"]
    note = api("POST", f"/v1/incidents/{iid}/timeline", {"text": "Deploy went out"}, expect=201).get_json()
    api("PATCH", f"/v1/incidents/{iid}/timeline/{note['id']}",
        {"important": True, "occurred_at": "2020-01-01T00:00:00+00:00"}, expect=200)
    api("PATCH", f"/v1/incidents/{iid}", {"detection_method": "monitor"}, expect=200)
    events = outbox(client)
    assert [t.split(".")[2] for t, _, _ in events] == ["created", "note_added", "timeline_entry_changed", "updated"]
    assert [int(h["ce-sequence"]) for _, h, _ in events] == [1, 2, 3, 4]
    created, added, edited, updated = (body for _, _, body in events)
    assert created["timeline_entry"]["kind"] == "created" and created["timeline_entry"]["important"] is False
    assert added["timeline_entry"]["id"] == note["id"] and added["timeline_entry"]["summary"] == "Deploy went out"
    assert edited["timeline_entry"]["id"] == note["id"] and edited["timeline_entry"]["important"] is True
    assert edited["timeline_entry"]["occurred_at"].startswith("2020-01-01T00:00:00")
    assert updated["detection_method"] == "monitor"
    # the edit wrote no timeline entry of its own
    kinds = [e["kind"] for e in api("GET", f"/v1/incidents/{iid}/timeline").get_json()["items"]]
    assert kinds.count("note") == 1 and len(kinds) == 3


def deliver(client, data: dict) -> str:
    from services.incident.app import SERVICE

    runtime = client.application.extensions["test.runtime"]
    consumer = SERVICE.consumer(runtime)
    event = Event(type=ACTION_ITEM_CREATED, source="/firebreak/postmortem", subject=data["incident_id"], data=data)
    return consumer.handle(event, runtime.catalog.load_incoming(ACTION_ITEM_CREATED, data),
                           consumer.handlers[ACTION_ITEM_CREATED])


def test_an_action_item_becomes_one_follow_up_task_however_often_it_arrives(api, declare, client):
    iid = declare()["id"]
    api("POST", f"/v1/incidents/{iid}/actions/resolve",
        {"resolution_code": "fixed", "resolution_summary": "Rolled back"}, expect=200)
    api("POST", f"/v1/incidents/{iid}/actions/close", expect=200)
    item = {"incident_id": iid, "postmortem_id": "pm-1", "action_item_id": "ai-1", "title": "Add a deploy canary",
            "owner": "bob", "due_date": "2026-04-01", "priority": "high"}
    assert deliver(client, item) == "processed"
    assert deliver(client, item) == "processed"  # a second delivery, as a new event id: still one task
    tasks = api("GET", f"/v1/incidents/{iid}/tasks").get_json()["items"]
    assert [(t["description"], t["assignee"], t["phase"], t["status"]) for t in tasks] == [
        ("Add a deploy canary", "bob", "follow_up", "open")]
    assert tasks[0]["due_at"].startswith("2026-04-01")
    assert deliver(client, {**item, "incident_id": "no-such-incident"}) == "processed"
