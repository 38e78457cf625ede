"""The sla service in-process on SQLite: its API (auth, validation, conflicts), handlers and timers."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.envelope import Event, utcnow

CREATED = "firebreak.incident.created.v1"
PRIORITY_CHANGED = "firebreak.incident.priority_changed.v1"
ACKNOWLEDGED = "firebreak.incident.acknowledged.v1"
RESOLVED = "firebreak.incident.resolved.v1"


@pytest.fixture
def sla(base_env):
    service = definition("sla")
    runtime = service.runtime(base_env)
    migrate_database(service, runtime.settings)
    yield service, runtime
    runtime.dispose()


@pytest.fixture
def client(sla):
    service, runtime = sla
    return service.create_app(runtime=runtime).test_client()


def snapshot(incident_id: str, **changes) -> dict:
    now = utcnow()
    data = {"id": incident_id, "reference": "INC-20260101-ABCDEF", "title": "Checkout down", "severity": "major",
            "priority": "high", "status": "new", "team": "payments", "incident_type": None, "private": False,
            "created_by": "alice", "created_at": now.isoformat(), "occurred_at": now.isoformat()}
    data.update(changes)
    return data


def deliver(sla, event_type: str, data: dict, sequence: int) -> str:
    service, runtime = sla
    consumer = service.consumer(runtime)
    event = Event(type=event_type, source="/firebreak/incident", subject=data["id"], sequence=sequence, data=data)
    return consumer.handle(event, runtime.catalog.load_incoming(event_type, event.data), consumer.handlers[event_type])


def outbox(runtime) -> list[tuple[str, dict, dict]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, headers, body FROM outbox ORDER BY id")).all()
    return [(t, json.loads(h) if isinstance(h, str) else h, json.loads(b)) for t, h, b in rows]


def timers(runtime) -> dict:
    with runtime.engine.connect() as conn:
        return {(k, key): json.loads(p) if isinstance(p, str) else p
                for k, key, p in conn.execute(text("SELECT kind, key, payload FROM timers"))}


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


# -- policies and calendars over HTTP ----------------------------------------------------------
def test_default_policy_is_listed_with_the_standard_targets(client, token):
    body = client.get("/v1/sla/policies", headers=token("viewer")).get_json()
    [default] = body["items"]
    assert default["name"] == "default" and default["team"] is None and default["warning_percent"] == 80
    assert default["pause_on_hold"] is True and default["calendar_id"] is None
    assert default["targets"] == {"critical": {"response": 3600, "resolution": 14400},
                                  "high": {"response": 14400, "resolution": 28800},
                                  "medium": {"response": 28800, "resolution": 86400},
                                  "low": {"response": 86400, "resolution": 259200}}


def test_policy_crud_needs_admin(client, token):
    policy = {"name": "payments", "team": "payments", "targets": {"high": {"response": 2, "resolution": 4}}}
    assert_problem(client.post("/v1/sla/policies", json=policy, headers=token("responder")), 403)
    assert_problem(client.post("/v1/sla/policies", json=policy), 401)
    created = client.post("/v1/sla/policies", json=policy, headers=token("admin"))
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["targets"]["high"] == {"response": 2, "resolution": 4}
    assert body["targets"]["critical"] == {"response": 3600, "resolution": 14400}
    url = f"/v1/sla/policies/{body['id']}"
    assert client.get(url, headers=token("viewer")).get_json()["name"] == "payments"
    replaced = client.put(url, json={**policy, "warning_percent": 50, "pause_on_hold": False}, headers=token("admin"))
    assert replaced.status_code == 200 and replaced.get_json()["version"] == 2
    assert replaced.get_json()["warning_percent"] == 50 and replaced.get_json()["pause_on_hold"] is False
    assert client.delete(url, headers=token("admin")).status_code == 204
    assert_problem(client.get(url, headers=token("viewer")), 404)


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "targets": {"urgent": {"response": 1}}}, "targets.urgent.key"),
    ({"name": "x", "targets": {"high": {"response": 0}}}, "targets.high.value.response"),
    ({"name": "x", "targets": {"high": {"response": "1h"}}}, "targets.high.value.response"),
    ({"name": "x", "warning_percent": 100}, "warning_percent"),
    ({"name": ""}, "name"),
    ({"team": "x"}, "name"),
    ({"name": "x", "colour": "red"}, "colour"),
])
def test_invalid_policy_is_422_naming_the_field(client, token, body, field):
    assert_problem(client.post("/v1/sla/policies", json=body, headers=token("admin")), 422, field)


def test_policy_conflicts_and_unknown_calendar(client, token):
    admin = token("admin")
    assert client.post("/v1/sla/policies", json={"name": "a", "team": "t"}, headers=admin).status_code == 201
    assert_problem(client.post("/v1/sla/policies", json={"name": "b", "team": "t"}, headers=admin), 409, "team")
    assert_problem(client.post("/v1/sla/policies", json={"name": "a", "team": "u"}, headers=admin), 409, "name")
    assert_problem(client.post("/v1/sla/policies", json={"name": "default 2"}, headers=admin), 409, "team")
    assert_problem(client.post("/v1/sla/policies", json={"name": "c", "calendar_id": "nope"}, headers=admin),
                   422, "calendar_id")


def test_calendars_validate_and_cannot_be_deleted_while_used(client, token):
    admin = token("admin")
    body = {"name": "EU office", "kind": "business", "timezone": "Europe/Berlin",
            "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}],
            "holidays": ["2026-12-25"]}
    created = client.post("/v1/sla/calendars", json=body, headers=admin)
    assert created.status_code == 201, created.get_data(as_text=True)
    calendar = created.get_json()
    assert calendar["hours"] == body["hours"] and calendar["holidays"] == ["2026-12-25"]
    assert calendar["kind"] == "business"
    policy = client.post("/v1/sla/policies", json={"name": "eu", "team": "eu", "calendar_id": calendar["id"]},
                         headers=admin).get_json()
    assert policy["calendar_id"] == calendar["id"]
    assert_problem(client.delete(f"/v1/sla/calendars/{calendar['id']}", headers=admin), 409)
    client.delete(f"/v1/sla/policies/{policy['id']}", headers=admin)
    assert client.delete(f"/v1/sla/calendars/{calendar['id']}", headers=admin).status_code == 204
    always = client.post("/v1/sla/calendars", json={"name": "24x7", "kind": "24x7", "holidays": ["2026-12-25"]},
                         headers=admin)
    assert always.status_code == 201 and always.get_json()["kind"] == "24x7"
    page = client.get("/v1/sla/calendars?limit=1", headers=token("viewer")).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"] is None


@pytest.mark.parametrize("change, field", [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"hours": [{"days": ["mon"], "start": "17:00", "end": "09:00"}]}, "hours.0.end"),
    ({"hours": [{"days": ["funday"], "start": "09:00", "end": "17:00"}]}, "hours.0.days.0"),
    ({"hours": [{"days": ["mon"], "start": "9am", "end": "17:00"}]}, "hours.0.start"),
    ({"hours": []}, "hours"),
    ({"kind": "24x7"}, "hours"),
    ({"holidays": ["25/12/2026"]}, "holidays.0"),
])
def test_invalid_calendar_is_422_naming_the_field(client, token, change, field):
    body = {"name": "cal", "kind": "business", "timezone": "UTC",
            "hours": [{"days": ["mon"], "start": "09:00", "end": "17:00"}], **change}
    assert_problem(client.post("/v1/sla/calendars", json=body, headers=token("admin")), 422, field)


def test_lists_paginate(client, token):
    admin = token("admin")
    for i in range(3):
        client.post("/v1/sla/policies", json={"name": f"p{i}", "team": f"t{i}"}, headers=admin)
    first = client.get("/v1/sla/policies?limit=2", headers=admin).get_json()
    second = client.get(f"/v1/sla/policies?limit=2&cursor={first['next_cursor']}", headers=admin).get_json()
    names = [p["name"] for p in first["items"] + second["items"]]
    assert names == ["default", "p0", "p1", "p2"] and second["next_cursor"] is None
    assert_problem(client.get("/v1/sla/policies?cursor=%%%", headers=admin), 400, "cursor")


# -- handlers and timers -----------------------------------------------------------------------
def test_created_event_starts_clocks_from_the_matching_policy(sla, client, token):
    client.post("/v1/sla/policies", json={"name": "fast", "team": "payments",
                                          "targets": {"high": {"response": 30, "resolution": 60}}},
                headers=token("admin"))
    incident_id = str(uuid.uuid4())
    assert deliver(sla, CREATED, snapshot(incident_id), 1) == "processed"
    view = client.get(f"/v1/sla/incidents/{incident_id}", headers=token("viewer")).get_json()
    assert view["priority"] == "high" and view["sequence"] == 1 and view["policy"]["name"] == "fast"
    assert view["targets"]["response"]["target_seconds"] == 30
    assert view["targets"]["resolution"]["state"] == "ok"
    planned = timers(sla[1])
    assert set(planned) == {(k, f"{incident_id}/{t}") for k in ("sla.warning", "sla.breach")
                            for t in ("response", "resolution")}
    assert planned[("sla.breach", f"{incident_id}/response")] == {
        "incident_id": incident_id, "target": "response", "cycle": 1, "version": 1}


def test_later_policy_edits_leave_running_clocks_alone(sla, client, token):
    incident_id = str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(incident_id, team=None), 1)
    [default] = client.get("/v1/sla/policies", headers=token("admin")).get_json()["items"]
    client.put(f"/v1/sla/policies/{default['id']}", json={"name": "default", "targets": {
        "high": {"response": 5, "resolution": 10}, "critical": {"response": 1, "resolution": 2}}},
        headers=token("admin"))
    deliver(sla, PRIORITY_CHANGED, snapshot(incident_id, team=None, priority="critical"), 2)
    view = client.get(f"/v1/sla/incidents/{incident_id}", headers=token("viewer")).get_json()
    assert view["targets"]["response"]["target_seconds"] == 3600  # the copy taken at start
    assert view["policy"]["targets"]["critical"]["response"] == 3600


def test_breach_timer_announces_once_and_a_stale_one_nothing(sla):
    service, runtime = sla
    incident_id = str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(incident_id), 1)
    scheduler = service.scheduler(runtime)
    later = utcnow() + timedelta(hours=5)
    # Priority changes move the timers; the ones set before are replaced.
    deliver(sla, PRIORITY_CHANGED, snapshot(incident_id, priority="critical"), 2)
    assert timers(runtime)[("sla.breach", f"{incident_id}/response")]["version"] == 2
    assert scheduler.run_once(later) == 4
    events = [(t, b["target"]) for t, _, b in outbox(runtime)]
    assert events == [("firebreak.sla.warning.v1", "response"), ("firebreak.sla.breached.v1", "response"),
                      ("firebreak.sla.warning.v1", "resolution"), ("firebreak.sla.breached.v1", "resolution")]
    assert scheduler.run_once(later) == 0
    assert [h["ce-sequence"] for _, h, _ in outbox(runtime)] == ["1", "2", "3", "4"]
    _, headers, body = outbox(runtime)[1]
    assert headers["ce-subject"] == incident_id
    assert body["priority"] == "critical" and body["target_seconds"] == 3600 and body["overdue_seconds"] == 0


def test_acknowledge_meets_response_and_cancels_its_timers(sla, client, token):
    _, runtime = sla
    incident_id = str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(incident_id), 1)
    acked = utcnow().isoformat()
    deliver(sla, ACKNOWLEDGED, snapshot(incident_id, acknowledged_at=acked, status="assigned"), 2)
    assert {k for k, key in timers(runtime) if key.endswith("/response")} == set()
    [(kind, headers, body)] = outbox(runtime)
    assert kind == "firebreak.sla.met.v1" and body["outcome"] == "met" and body["target"] == "response"
    view = client.get(f"/v1/sla/incidents/{incident_id}", headers=token("viewer")).get_json()
    assert view["targets"]["response"]["state"] == "met"
    deliver(sla, RESOLVED, snapshot(incident_id, acknowledged_at=acked, status="resolved",
                                    resolved_at=utcnow().isoformat()), 3)
    assert timers(runtime) == {}
    report = client.get("/v1/sla/report", headers=token("viewer")).get_json()
    assert report["targets"]["response"]["met"] == 1 and report["targets"]["resolution"]["met"] == 1
    assert report["targets"]["resolution"]["compliance_percent"] == 100.0
    assert report["targets"]["response"]["time_seconds"]["count"] == 1


def test_duplicate_and_stale_events_do_nothing(sla, client, token):
    incident_id = str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(incident_id), 1)
    deliver(sla, PRIORITY_CHANGED, snapshot(incident_id, priority="low"), 3)
    deliver(sla, PRIORITY_CHANGED, snapshot(incident_id, priority="critical"), 2)
    view = client.get(f"/v1/sla/incidents/{incident_id}", headers=token("viewer")).get_json()
    assert view["priority"] == "low" and view["sequence"] == 3


def test_private_incident_sla_is_hidden_from_other_teams(sla, client, token):
    incident_id = str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(incident_id, private=True, team="secops"), 1)
    url = f"/v1/sla/incidents/{incident_id}"
    assert_problem(client.get(url, headers=token("viewer", teams=["payments"])), 404)
    assert client.get(url, headers=token("viewer", teams=["secops"])).status_code == 200
    assert client.get(url, headers=token("admin")).status_code == 200
    report = client.get("/v1/sla/report", headers=token("viewer", teams=["payments"])).get_json()
    assert report["targets"]["response"]["total"] == 0
    assert client.get("/v1/sla/report", headers=token("admin")).get_json()["targets"]["response"]["total"] == 1


def test_report_filters_and_rejects_a_backwards_period(sla, client, token):
    for team, priority in (("a", "high"), ("b", "high"), ("a", "low")):
        deliver(sla, CREATED, snapshot(str(uuid.uuid4()), team=team, priority=priority), 1)
    viewer = token("viewer")
    assert client.get("/v1/sla/report?team=a", headers=viewer).get_json()["targets"]["response"]["total"] == 2
    report = client.get("/v1/sla/report?team=a&priority=low", headers=viewer).get_json()
    assert report["targets"]["response"]["in_progress"] == 1 and set(report["by_priority"]) == {"low"}
    assert_problem(client.get("/v1/sla/report?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                              headers=viewer), 422, "from")
    assert_problem(client.get("/v1/sla/report?priority=urgent", headers=viewer), 422, "priority")
    old = client.get("/v1/sla/report?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", headers=viewer).get_json()
    assert old["targets"]["response"]["total"] == 0 and old["percentile_method"] == "nearest-rank"


def test_unknown_incident_is_404(client, token):
    assert_problem(client.get("/v1/sla/incidents/nope", headers=token("viewer")), 404)


def test_service_has_a_scheduler_process():
    assert definition("sla").processes == ("api", "consumer", "relay", "scheduler")


def test_a_failing_batch_falls_back_to_one_timer_at_a_time(sla):
    service, runtime = sla
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(sla, CREATED, snapshot(good, priority="critical"), 1)
    deliver(sla, CREATED, snapshot(bad, priority="critical"), 1)
    scheduler = service.scheduler(runtime)
    real = scheduler.handlers["sla.breach"]

    def picky(uow, timer):
        if timer.payload["incident_id"] == bad:
            raise RuntimeError("this one is poisoned")
        real(uow, timer)

    scheduler.handlers = {**scheduler.handlers, "sla.breach": picky}
    scheduler.batch_handlers = {kind: (lambda uow, timers: (_ for _ in ()).throw(RuntimeError("batch down")))
                                for kind in scheduler.batch_handlers}
    assert scheduler.run_once(utcnow() + timedelta(hours=5)) == 8
    breached = {b["incident_id"] for t, _, b in outbox(runtime) if t == "firebreak.sla.breached.v1"}
    assert breached == {good}
    with runtime.engine.connect() as conn:
        left = conn.execute(text("SELECT key, attempts, last_error FROM timers")).all()
    assert {key for key, _, _ in left} == {f"{bad}/response", f"{bad}/resolution"}
    assert all(attempts == 1 and "poisoned" in error for _, attempts, error in left)
