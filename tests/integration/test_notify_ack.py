"""The ack_url on the real stack: GET changes nothing, POST acknowledges once, a bad link is refused."""

from __future__ import annotations

import time

import requests

from libs.common.config import Settings
from services.notify.domain.signing import AckToken
from services.notify.settings import NotifySettings
from tests.integration.helpers import bearer, query
from tests.integration.notify_support import (  # noqa: F401 - receivers_fixture: the `receivers` fixture
    add_contact,
    declare,
    receivers_fixture,
    send,
    start_notify,
    step_fired,
    wait,
)


def test_the_ack_url_acknowledges_once_and_refuses_altered_or_expired_links(stack, receivers):
    http, _ = receivers
    declare(stack, "incident")
    incident_api = stack.start_api("incident")
    stack.start("incident", "relay")
    stack.start("incident", "consumer")
    api = start_notify(stack, kinds=("consumer", "relay", "scheduler"))
    add_contact(api, "alice", {"kind": "webhook", "address": f"{http.url}/alice", "secret": "alice-secret"})
    incident = requests.post(f"{incident_api}/v1/incidents", json={
        "title": "Checkout down", "severity": "critical", "priority": "critical", "team": "sre"},
        headers=bearer("responder", "carol", ["sre"]), timeout=10).json()
    notify_db = stack.env["FIREBREAK_NOTIFY_DATABASE_URL"]
    wait(lambda: query(notify_db, "SELECT count(*) FROM notify_incidents")[0][0] == 1, stack, "notify's copy")
    send(stack, step_fired(incident, ["alice"]))
    wait(lambda: http.at("/alice"), stack, "alice's page")
    ack_url = http.at("/alice")[0].json()["ack_url"]
    assert ack_url.startswith(f"{api}/v1/notifications/ack/")

    for _ in range(3):
        page = requests.get(ack_url, timeout=10)
        assert page.status_code == 200 and "Acknowledge as alice" in page.text
    prefix, token = ack_url.rsplit("/", 1)
    claims, mac = token.split(".")
    altered = f"{prefix}/{claims[:-1]}{'A' if claims[-1] != 'A' else 'B'}.{mac}"
    settings = NotifySettings.from_env(Settings.from_env("notify", stack.env), stack.env)
    expired = AckToken(incident["id"], "alice", int(time.time()) - 5).encode(settings.ack_secret)
    for bad in (altered, f"{prefix}/{expired}"):
        refused = requests.post(bad, timeout=10)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    time.sleep(1)
    assert query(notify_db, "SELECT count(*) FROM outbox")[0][0] == 0
    seen = requests.get(f"{incident_api}/v1/incidents/{incident['id']}", headers=bearer("admin"), timeout=10)
    assert seen.json()["acknowledged_at"] is None

    done = requests.post(ack_url, headers={"Accept": "application/json"}, timeout=10)
    assert done.status_code == 200 and done.json()["acknowledged"] is True

    def acknowledged():
        got = requests.get(f"{incident_api}/v1/incidents/{incident['id']}", headers=bearer("admin"), timeout=10)
        return got.json()["acknowledged_at"]

    wait(acknowledged, stack, "the incident acknowledged")
    wait(lambda: query(notify_db, "SELECT acknowledged FROM notify_incidents")[0][0], stack, "notify to know")
    again = requests.post(ack_url, headers={"Accept": "application/json"}, timeout=10)
    assert again.status_code == 200 and again.json()["acknowledged"] is False
    timeline = requests.get(f"{incident_api}/v1/incidents/{incident['id']}/timeline", headers=bearer("admin"),
                            timeout=10).json()["items"]
    acks = [e for e in timeline if e["kind"] == "acknowledged"]
    assert len(acks) == 1 and acks[0]["actor"] == "alice"
