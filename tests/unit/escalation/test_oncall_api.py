"""/v1/oncall, /v1/schedules/{id}/shifts and the .ics export (parsed back with icalendar)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar


def make_schedule(esc, admin):
    esc.client.post("/v1/teams", json={"name": "ops", "members": [{"user": "ann"}]}, headers=admin)
    body = {"name": "ops-primary", "team": "ops", "time_zone": "Europe/Berlin",
            "layers": [{"name": "primary", "participants": ["ann", "bob", "cat"], "rotation": "daily",
                        "start": "2026-03-20T09:00:00"}],
            "overrides": [{"user": "dan", "start": "2026-03-30T12:00:00", "end": "2026-03-30T18:00:00"}]}
    r = esc.client.post("/v1/schedules", json=body, headers=admin)
    assert r.status_code == 201, r.json
    return r.json


def test_who_is_on_call_and_until_when(esc, admin):
    schedule = make_schedule(esc, admin)
    r = esc.client.get("/v1/oncall?team=ops&at=2026-03-29T06:00:00Z", headers=admin)
    assert r.status_code == 200
    [item] = r.json["items"]
    assert item["schedule"] == schedule["id"] and item["schedule_name"] == "ops-primary"
    # 29 March: Berlin is on summer time from 02:00, so the 09:00 handoff is at 07:00 UTC.
    assert item["user"] == "cat" and item["until"].startswith("2026-03-29T07:00:00")
    assert esc.client.get("/v1/oncall?team=other", headers=admin).json["items"] == []


def test_shifts_and_the_ics_export_agree(esc, admin):
    schedule = make_schedule(esc, admin)
    query = "from=2026-03-28T00:00:00Z&to=2026-04-01T00:00:00Z"
    shifts = esc.client.get(f"/v1/schedules/{schedule['id']}/shifts?{query}", headers=admin).json["items"]
    assert [s["user"] for s in shifts] == ["bob", "cat", "ann", "bob", "dan", "bob", "cat"]
    r = esc.client.get(f"/v1/schedules/{schedule['id']}.ics?{query}", headers=admin)
    assert r.status_code == 200 and r.content_type.startswith("text/calendar")
    events = [c for c in Calendar.from_ical(r.data).walk("VEVENT")]
    parsed = [(str(e["x-firebreak-user"]), e.decoded("dtstart"), e.decoded("dtend")) for e in events]
    assert parsed == [(s["user"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
                      for s in shifts]


def test_shift_range_errors_are_problem_json(esc, admin):
    schedule = make_schedule(esc, admin)
    r = esc.client.get(f"/v1/schedules/{schedule['id']}/shifts?from=2026-03-28T00:00:00Z&to=2026-03-01T00:00:00Z",
                       headers=admin)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "to"
    assert esc.client.get("/v1/schedules/nope/shifts", headers=admin).status_code == 404
