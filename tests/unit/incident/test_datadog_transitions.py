"""Datadog: every documented transition, the default payload (no alert_transition) and unknown transitions."""

from __future__ import annotations

import json

import pytest

from tests.senders import fixture


@pytest.fixture
def datadog(api, client):
    key = api("POST", "/v1/integrations", {"name": "dd", "kind": "datadog"}, role="admin", expect=201).get_json()["key"]

    def post(body: dict):
        return client.post("/v1/alerts/datadog", data=json.dumps(body),
                           headers={"Content-Type": "application/json", "X-Firebreak-Key": key})

    return post


def open_incidents(api) -> list[dict]:
    return [i for i in api("GET", "/v1/incidents?limit=200", role="admin").get_json()["items"]
            if i["status"] not in ("resolved", "closed")]


@pytest.mark.parametrize("transition", ["Triggered", "Re-Triggered", "Warn", "Re-Warn", "No Data", "Re-No Data",
                                        "Renotify"])
def test_every_paging_transition_opens_an_incident(api, datadog, transition):
    body = fixture("datadog-webhook-triggered.json") | {"alert_transition": transition}
    response = datadog(body)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["outcomes"] == ["new_incident"]
    assert len(open_incidents(api)) == 1


def test_muted_and_unknown_transitions_are_recorded_not_refused(api, datadog):
    for transition in ("Muted", "Some Future State"):
        response = datadog(fixture("datadog-webhook-triggered.json") | {"alert_transition": transition})
        assert response.status_code == 202, response.get_data(as_text=True)
        assert response.get_json()["outcomes"] == ["silenced"]
    assert open_incidents(api) == []


def test_default_payload_takes_the_transition_from_the_title(api, datadog):
    """Datadog's default webhook payload: no alert_transition, aggreg_key, tags or priority."""
    default = {"body": "CPU > 90% on web-01", "last_updated": "1591216985000", "event_type": "query_alert_monitor",
               "title": "[Triggered] High CPU on web-01", "date": "1591216985000",
               "org": {"id": "415600", "name": "Acme"}, "id": "5485379890863845239"}
    opened = datadog(default)
    assert opened.status_code == 202, opened.get_data(as_text=True)
    assert opened.get_json()["outcomes"] == ["new_incident"]
    [incident] = open_incidents(api)
    assert incident["title"] == "High CPU on web-01"
    no_data = datadog(default | {"title": "[No Data] High CPU on web-01", "id": "2"})
    assert no_data.get_json()["outcomes"] == ["deduplicated"]
    recovered = datadog(default | {"title": "[Recovered] High CPU on web-01", "id": "3"})
    assert recovered.get_json()["outcomes"] == ["resolved"]
    assert open_incidents(api) == []
