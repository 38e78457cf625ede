"""Issue 14 limits on the incident API: stored instants in range, user regexes through RE2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from libs.common.clock import FakeClock
from libs.common.regex import compile_regex

CATASTROPHIC = "([a-z0-9.-]+)*!"  # exponential on a backtracking engine: 2.4 s at 26 characters


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 8, 22, 9, 0, 30, tzinfo=UTC))


@pytest.fixture
def generic_key(api):
    return api("POST", "/v1/integrations", {"name": "gen", "kind": "generic", "default_team": "ops"},
               role="admin", expect=201).get_json()["key"]


def send(client, key: str, labels: dict) -> list[str]:
    response = client.post("/v1/alerts/generic", data=json.dumps({"summary": "hot", "labels": labels}),
                           headers={"Content-Type": "application/json", "X-Firebreak-Key": key})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["outcomes"]


def fields_at_fault(response) -> set[str]:
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return {e["field"] for e in response.get_json()["errors"]}


@pytest.mark.parametrize("path, body, field", [
    ("/v1/alerts/silences", {"matchers": [{"label": "a", "op": "=", "value": "b"}],
                             "expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
    ("/v1/alerts/maintenance-windows", {"team": "ops", "starts_at": "0001-01-01T00:00:00+14:00",
                                        "ends_at": "2026-09-01T00:00:00Z"}, "starts_at"),
    ("/v1/incidents/{id}/tasks", {"title": "t", "due_at": "9999-12-31T23:59:59-14:00"}, "due_at"),
    ("/v1/incidents/{id}/timeline", {"summary": "s", "occurred_at": "1000-01-01T00:00:00Z"}, "occurred_at"),
    ("/v1/incidents?created_to=0001-01-02T00:00:00Z", None, "created_to"),
])
def test_instants_beyond_what_the_stores_hold_are_422_naming_the_field(api, declare, path, body, field):
    path = path.replace("{id}", declare()["id"])
    response = api("POST" if body else "GET", path, body, role="admin")
    assert response.status_code == 422
    assert field in fields_at_fault(response)


def test_silence_regexes_run_on_re2_and_a_catastrophic_pattern_is_harmless(api, client, generic_key, clock):
    assert type(compile_regex(CATASTROPHIC)).__module__.startswith("re2")
    later = (clock.now() + timedelta(hours=1)).isoformat()
    api("POST", "/v1/alerts/silences", {"matchers": [{"label": "host", "op": "=~", "value": CATASTROPHIC}],
                                        "expires_at": later}, expect=201)
    long_label = "a" * 26 + "." + "b" * 26  # no '!': a backtracking engine tries every split, RE2 does not
    assert send(client, generic_key, {"host": long_label}) == ["new_incident"]
    assert send(client, generic_key, {"host": long_label + "!"}) == ["silenced"]


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=look)ahead", "(("])
def test_patterns_re2_cannot_compile_are_422_naming_the_field(api, pattern):
    silence = api("POST", "/v1/alerts/silences", {"matchers": [{"label": "a", "op": "=~", "value": pattern}],
                                                  "expires_at": "2030-01-01T00:00:00Z"})
    assert silence.status_code == 422
    assert "matchers" in fields_at_fault(silence)
    rule = api("POST", "/v1/integrations", {"name": "x", "kind": "generic", "routing_rules": [
        {"matchers": [{"label": "a", "op": "!~", "value": pattern}]}]}, role="admin")
    assert rule.status_code == 422
    assert "routing_rules.0.matchers" in fields_at_fault(rule)


@pytest.mark.parametrize("template", [
    "{{ 'x' * 10000000 }}",
    "{% for a in range(100) %}{% for b in range(100) %}{{ labels.host }}{% endfor %}{% endfor %}",
    "{% for a in range(100000) %}x{% endfor %}",
    "{{ labels.__class__.__mro__ }}",
])
def test_title_templates_render_capped_and_fall_back_to_the_alert_title(api, client, template):
    key = api("POST", "/v1/integrations", {"name": "t", "kind": "generic", "routing_rules": [
        {"matchers": [], "team": "ops", "title_template": template}]}, role="admin", expect=201).get_json()["key"]
    assert send(client, key, {"host": "web-01"}) == ["new_incident"]
    [incident] = api("GET", "/v1/incidents", role="admin").get_json()["items"]
    assert incident["title"] == "hot"

