"""Alert intake with the senders' real payloads: open, dedup, resolve; auth, signatures, storms."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from libs.common.clock import FakeClock
from tests.senders import fixture


@pytest.fixture
def clock():
    """Time stands still unless a test moves it (half a minute in, so no post crosses a minute by chance)."""
    return FakeClock(datetime(2026, 8, 22, 9, 0, 30, tzinfo=UTC))


@pytest.fixture
def integration(api):
    def make(kind: str, **fields) -> dict:
        body = {"name": f"{kind}-{len(fields)}-{id(fields)}", "kind": kind, **fields}
        return api("POST", "/v1/integrations", body, role="admin", expect=201).get_json()

    return make


@pytest.fixture
def post(client):
    def send(path: str, body, key: str | None = None, headers: dict | None = None, raw: bytes | None = None,
             method: str = "POST"):
        data = raw if raw is not None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **({"X-Firebreak-Key": key} if key else {}),
                       **(headers or {})}
        return client.open(path, method=method, data=data, headers=all_headers)

    return send


def incidents(api) -> list[dict]:
    return api("GET", "/v1/incidents?limit=200", role="admin").get_json()["items"]


def alerts_of(api, incident_id: str) -> list[dict]:
    return api("GET", f"/v1/incidents/{incident_id}/alerts", role="admin").get_json()["items"]


CASES = [
    # kind, path, fixture, expected title, severity, priority, team
    ("alertmanager", "/v1/alerts/alertmanager", "alertmanager-v4-firing.json",
     "InstanceDown: Instance 10.0.3.7:9100 down", "critical", "critical", "sre"),
    ("grafana", "/v1/alerts/grafana", "grafana-webhook-firing.json", "HighLatency: p99 > 2s", "major", "high",
     "checkout-team"),
    ("datadog", "/v1/alerts/datadog", "datadog-webhook-triggered.json", "High CPU on web-01", "critical",
     "critical", "sre"),
]


def resolved_form(kind: str, body: dict) -> dict:
    body = copy.deepcopy(body)
    if kind in ("alertmanager", "grafana"):
        body["status"] = "resolved"
        for alert in body["alerts"]:
            alert["status"] = "resolved"
            alert["endsAt"] = "2026-08-22T10:00:00Z"
        if kind == "grafana":
            body["state"] = "ok"
    else:
        body["alert_transition"] = "Recovered"
        body["title"] = body["title"].replace("[Triggered]", "[Recovered]")
    return body


@pytest.mark.parametrize("kind, path, name, title, severity, priority, team", CASES)
def test_fixture_opens_dedups_and_resolves(api, integration, post, kind, path, name, title, severity, priority,
                                           team):
    key = integration(kind, default_team="checkout-team")["key"]
    body = fixture(name)
    first = post(path, body, key)
    assert first.status_code == 202, first.get_data(as_text=True)
    assert first.get_json()["outcomes"] == ["new_incident"]
    [incident] = incidents(api)
    assert (incident["title"], incident["severity"], incident["priority"], incident["team"]) == \
        (title, severity, priority, team)
    assert incident["source"] == "monitoring" and incident["detection_method"] == "monitor"

    again = post(path, body, key)
    assert again.get_json()["outcomes"] == ["deduplicated"]
    assert len(incidents(api)) == 1
    [alert] = alerts_of(api, incident["id"])
    assert alert["count"] == 2 and alert["status"] == "firing"
    # a repeat within the minute is counted, not written to the timeline again
    noted = api("GET", f"/v1/incidents/{incident['id']}/timeline?kind=alert", role="admin").get_json()["items"]
    assert len(noted) == 1

    done = post(path, resolved_form(kind, body), key)
    assert done.get_json()["outcomes"] == ["resolved"]
    after = api("GET", f"/v1/incidents/{incident['id']}", role="admin").get_json()
    assert after["status"] == "resolved" and after["resolution_code"] == "fixed"

    reopened = post(path, body, key)  # the same key after resolution opens a new incident
    assert reopened.get_json()["outcomes"] == ["new_incident"]
    assert len(incidents(api)) == 2


def test_pagerduty_trigger_ack_resolve_and_generated_dedup_key(api, integration, post):
    integration("pagerduty", key="R0UT1NGKEY0000000000000000000000", default_team="data")
    trigger = fixture("pagerduty-v2-trigger.json")
    r = post("/v2/enqueue", trigger)
    assert r.status_code == 202
    assert r.get_json() == {"status": "success", "message": "Event processed",
                            "dedup_key": "db-primary-replication-lag"}
    [incident] = incidents(api)
    assert (incident["title"], incident["severity"], incident["priority"], incident["team"]) == \
        ("Replication lag > 300s on pg-primary", "critical", "critical", "data")
    assert post("/v2/enqueue", trigger).status_code == 202 and len(incidents(api)) == 1
    ack = {"routing_key": trigger["routing_key"], "dedup_key": trigger["dedup_key"], "event_action": "acknowledge"}
    post("/v2/enqueue", ack)
    assert api("GET", f"/v1/incidents/{incident['id']}", role="admin").get_json()["acknowledged_at"]
    assert post("/v2/enqueue", fixture("pagerduty-v2-resolve.json")).status_code == 202
    assert api("GET", f"/v1/incidents/{incident['id']}", role="admin").get_json()["status"] == "resolved"

    no_key = copy.deepcopy(trigger)
    del no_key["dedup_key"]
    generated = post("/v2/enqueue", no_key).get_json()["dedup_key"]
    assert len(generated) == 32 and len(incidents(api)) == 2


def test_pagerduty_dedup_keys_are_scoped_to_the_routing_key(api, integration, post):
    integration("pagerduty", key="A" * 32)
    integration("pagerduty", key="B" * 32)
    body = fixture("pagerduty-v2-trigger.json")
    post("/v2/enqueue", {**body, "routing_key": "A" * 32})
    post("/v2/enqueue", {**body, "routing_key": "B" * 32})
    assert len(incidents(api)) == 2


def test_alertmanager_group_of_three_resolves_when_all_do(api, integration, post):
    key = integration("alertmanager")["key"]
    body = fixture("alertmanager-v4-firing.json")
    base = body["alerts"][0]
    body["alerts"] = [{**copy.deepcopy(base), "fingerprint": f"fp{i}",
                       "labels": {**base["labels"], "instance": f"10.0.3.{i}:9100"}} for i in range(3)]
    assert post("/v1/alerts/alertmanager", body, key).get_json()["outcomes"] == \
        ["new_incident", "deduplicated", "deduplicated"]
    [incident] = incidents(api)
    assert len(alerts_of(api, incident["id"])) == 3

    one_resolved = copy.deepcopy(body)
    one_resolved["alerts"][0]["status"] = "resolved"
    post("/v1/alerts/alertmanager", one_resolved, key)
    assert api("GET", f"/v1/incidents/{incident['id']}", role="admin").get_json()["status"] == "new"
    all_resolved = copy.deepcopy(body)
    for alert in all_resolved["alerts"]:
        alert["status"] = "resolved"
    post("/v1/alerts/alertmanager", all_resolved, key)
    done = api("GET", f"/v1/incidents/{incident['id']}", role="admin").get_json()
    assert done["status"] == "resolved" and done["resolution_code"] == "fixed"
    kinds = [e["kind"] for e in api("GET", f"/v1/incidents/{incident['id']}/timeline", role="admin")
             .get_json()["items"]]
    assert kinds.count("alert") == 6 and kinds[-1] == "resolved"


def test_auto_resolve_off_leaves_a_note(api, integration, post):
    key = integration("generic", auto_resolve=False)["key"]
    post("/v1/alerts/generic", {"summary": "Queue backlog", "dedup_key": "q1", "severity": "warning"}, key)
    post("/v1/alerts/generic", {"dedup_key": "q1", "action": "resolve"}, key)
    [incident] = incidents(api)
    assert incident["status"] == "new" and incident["severity"] == "moderate"
    notes = api("GET", f"/v1/incidents/{incident['id']}/timeline?kind=note", role="admin").get_json()["items"]
    assert "auto-resolve is off" in notes[-1]["summary"]


def test_wrong_key_bad_signature_and_malformed_body_store_nothing(api, integration, post):
    key = integration("alertmanager", hmac_secrets=["old-secret-000000", "new-secret-111111"])["key"]
    body = fixture("alertmanager-v4-firing.json")
    raw = json.dumps(body).encode()
    good_sig = "sha256=" + hmac.new(b"new-secret-111111", raw, hashlib.sha256).hexdigest()
    old_sig = "sha256=" + hmac.new(b"old-secret-000000", raw, hashlib.sha256).hexdigest()

    def problem(response, status):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        return response.get_json()

    assert "unknown" in problem(post("/v1/alerts/alertmanager", body, "fbk_wrong", raw=raw), 401)["detail"]
    assert "requires" in problem(post("/v1/alerts/alertmanager", body, key, raw=raw), 401)["detail"]
    bad = {"X-Firebreak-Signature": "sha256=" + "0" * 64}
    assert problem(post("/v1/alerts/alertmanager", body, key, bad, raw=raw), 401)["detail"] == "bad signature"
    assert problem(post("/v1/alerts/datadog", body, key, {"X-Firebreak-Signature": good_sig}, raw=raw), 401)
    broken = copy.deepcopy(body)
    del broken["groupKey"]
    broken["alerts"][0]["status"] = "exploding"
    broken_raw = json.dumps(broken).encode()
    sig = "sha256=" + hmac.new(b"new-secret-111111", broken_raw, hashlib.sha256).hexdigest()
    errors = problem(post("/v1/alerts/alertmanager", None, key, {"X-Firebreak-Signature": sig}, raw=broken_raw),
                     400)["errors"]
    assert {e["field"] for e in errors} == {"groupKey", "alerts.0.status"}
    not_json = b"{oops"
    sig = "sha256=" + hmac.new(b"new-secret-111111", not_json, hashlib.sha256).hexdigest()
    assert "JSON" in problem(post("/v1/alerts/alertmanager", None, key, {"X-Firebreak-Signature": sig},
                                  raw=not_json), 400)["detail"]
    assert incidents(api) == []
    assert api("GET", "/v1/alerts", role="admin").get_json()["items"] == []
    # both secrets work during rotation; a bearer header works as well as X-Firebreak-Key
    assert post("/v1/alerts/alertmanager", body, key, {"X-Firebreak-Signature": old_sig}, raw=raw).status_code == 202
    assert post("/v1/alerts/alertmanager", body, None, {"X-Firebreak-Signature": good_sig,
                                                        "Authorization": f"Bearer {key}"}, raw=raw).status_code == 202
    # PagerDuty's senders get PagerDuty's error body
    invalid = post("/v2/enqueue", {"routing_key": "X" * 32, "event_action": "trigger"})
    assert invalid.status_code == 400
    assert invalid.get_json() == {"status": "invalid event", "message": "Event object is invalid",
                                  "errors": ["payload: required to trigger"]}
    assert post("/v2/enqueue", {**fixture("pagerduty-v2-resolve.json")}).status_code == 401


def test_routing_rules_first_match_wins_with_title_template(api, integration, post):
    rules = [{"matchers": [{"label": "service", "op": "=~", "value": "check.*"},
                           {"label": "env", "op": "!=", "value": "staging"}],
              "team": "payments", "priority": "critical", "title_template": "{{ labels.service }} latency"},
             {"matchers": [], "team": "catch-all"}]
    key = integration("grafana", routing_rules=rules)["key"]
    post("/v1/alerts/grafana", fixture("grafana-webhook-firing.json"), key, method="PUT")
    staging = fixture("grafana-webhook-firing.json")
    staging["groupKey"] = "other"
    staging["alerts"][0]["labels"]["env"] = "staging"
    post("/v1/alerts/grafana", staging, key)
    found = {i["team"]: i for i in incidents(api)}
    assert found["payments"]["title"] == "checkout latency" and found["payments"]["priority"] == "critical"
    assert found["payments"]["severity"] == "major"
    assert "catch-all" in found
    bad = api("POST", "/v1/integrations", {"name": "x", "kind": "generic", "routing_rules": [
        {"matchers": [{"label": "a", "op": "=~", "value": "(("}]}]}, role="admin", expect=422).get_json()
    assert "routing_rules" in bad["errors"][0]["field"]


def test_silences_and_maintenance_record_without_paging(api, integration, post, clock):
    created = integration("generic", default_team="ops")
    key = created["key"]
    later = (clock.now() + timedelta(hours=1)).isoformat()
    api("POST", "/v1/alerts/silences", {"matchers": [{"label": "env", "op": "=", "value": "dev"}],
                                        "expires_at": later}, expect=201)
    r = post("/v1/alerts/generic", {"summary": "dev box hot", "labels": {"env": "dev"}}, key)
    assert r.get_json()["outcomes"] == ["silenced"]
    api("POST", "/v1/alerts/maintenance-windows", {"team": "ops", "starts_at": clock.now().isoformat(),
                                                   "ends_at": later, "reason": "db upgrade"}, expect=201)
    r = post("/v1/alerts/generic", {"summary": "db restarting", "labels": {"env": "prod"}}, key)
    assert r.get_json()["outcomes"] == ["maintenance"]
    assert incidents(api) == []
    recorded = api("GET", "/v1/alerts", role="admin").get_json()["items"]
    assert sorted(a["outcome"] for a in recorded) == ["maintenance", "silenced"]
    datadog_key = integration("datadog")["key"]
    muted = fixture("datadog-webhook-triggered.json") | {"alert_transition": "Muted"}
    assert post("/v1/alerts/datadog", muted, datadog_key).get_json()["outcomes"] == ["silenced"]
    api("POST", "/v1/alerts/maintenance-windows", {"starts_at": later, "ends_at": later}, expect=422)


def test_rate_limit_answers_429_and_counts_alerts_on_one_storm_incident(api, integration, post, clock):
    key = integration("generic", rate_limit_per_minute=3)["key"]
    for i in range(3):
        assert post("/v1/alerts/generic", {"summary": f"a{i}", "dedup_key": f"k{i}"}, key).status_code == 202
    limited = [post("/v1/alerts/generic", {"summary": f"b{i}", "dedup_key": f"s{i}"}, key) for i in range(4)]
    assert all(r.status_code == 429 for r in limited)
    assert all(r.mimetype == "application/problem+json" and 1 <= int(r.headers["Retry-After"]) <= 60
               for r in limited)
    storms = [i for i in incidents(api) if i["title"].startswith("Alert storm")]
    assert len(storms) == 1 and len(incidents(api)) == 4
    [storm_alert] = alerts_of(api, storms[0]["id"])
    assert storm_alert["count"] == 4
    assert all(r.headers["Retry-After"] == "30" for r in limited)  # the fake clock is half a minute in
    clock.advance(30)  # the next minute's window
    assert post("/v1/alerts/generic", {"summary": "c", "dedup_key": "k-next"}, key).status_code == 202


def test_oversized_post_is_413(post, integration):
    key = integration("generic")["key"]
    r = post("/v1/alerts/generic", {"summary": "x" * (1024 * 1024)}, key)
    assert r.status_code == 413 and r.mimetype == "application/problem+json"


def test_a_repeat_after_the_quiet_minute_is_noted_again(api, integration, post, clock):
    key = integration("generic")["key"]
    for _ in range(3):
        post("/v1/alerts/generic", {"summary": "Disk full", "dedup_key": "disk"}, key)
        clock.advance(61)
    [incident] = incidents(api)
    noted = api("GET", f"/v1/incidents/{incident['id']}/timeline?kind=alert", role="admin").get_json()["items"]
    assert [e["summary"] for e in noted] == ["Alert fired: Disk full", "Alert still firing (2 times): Disk full",
                                             "Alert still firing (3 times): Disk full"]
