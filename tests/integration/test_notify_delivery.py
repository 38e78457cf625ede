"""Notify on the real stack: pages over a signed webhook, SMTP, Apprise, Slack, Mattermost and Teams; retries;
dead ends."""

from __future__ import annotations

import time

import requests

from tests.integration.helpers import bearer
from tests.integration.notify_support import (  # noqa: F401 - receivers_fixture: the `receivers` fixture
    add_contact,
    created,
    deliveries,
    incident_snapshot,
    readme_verifier,
    receivers_fixture,
    send,
    start_notify,
    step_fired,
    wait,
)
from tests.integration.receivers import Behaviour


def test_a_page_reaches_webhook_email_and_apprise_and_the_signature_verifies(stack, receivers):
    http, smtp = receivers
    api = start_notify(stack, smtp.url)
    port = http.server.server_address[1]
    add_contact(api, "alice", {"kind": "webhook", "address": f"{http.url}/alice", "secret": "alice-secret"},
                {"kind": "email", "address": "alice@example.com", "delay_seconds": 1},
                {"kind": "apprise", "address": f"json://127.0.0.1:{port}/apprise"})
    incident = incident_snapshot()
    send(stack, created(incident), step_fired(incident, ["alice"]))

    wait(lambda: http.at("/alice") and http.at("/apprise") and smtp.messages, stack, "alice's three methods")
    (hook,) = http.at("/alice")
    verify = readme_verifier()
    assert verify("alice-secret", hook.body, hook.headers["Firebreak-Signature"])
    assert not verify("alice-secret", hook.body + b" ", hook.headers["Firebreak-Signature"])
    assert not verify("another-secret", hook.body, hook.headers["Firebreak-Signature"])
    body = hook.json()
    assert body["ack_url"].startswith(f"{api}/v1/notifications/ack/")
    assert body["incident"]["reference"] == "INC-20260301-ABC123"
    assert hook.headers["Idempotency-Key"] == body["id"]

    ((to, mail),) = smtp.messages
    assert to == ["alice@example.com"]
    assert mail["Subject"] == "PAGE [INC-20260301-ABC123] critical/critical: Checkout down"
    text = mail.get_content()
    assert "You are paged for INC-20260301-ABC123: Checkout down" in text and "Commander: carol" in text
    assert f"{api}/v1/notifications/ack/" in text

    (apprise,) = http.at("/apprise")
    assert apprise.json()["title"].startswith("PAGE [INC-20260301-ABC123]")
    assert "/v1/notifications/ack/" in apprise.json()["message"]
    wait(lambda: {r[2] for r in deliveries(stack, incident["id"])} == {"sent"}, stack, "three sent records")
    log = requests.get(f"{api}/v1/notifications", params={"incident_id": incident["id"]},
                       headers=bearer("viewer", "vic"), timeout=10).json()["items"]
    assert sorted((i["method_kind"], i["status"], i["attempts"]) for i in log) == [
        ("apprise", "sent", 1), ("email", "sent", 1), ("webhook", "sent", 1)]


def test_a_flaky_receiver_gets_one_success_and_a_broken_one_ends_dead_and_chat_bodies_arrive(stack, receivers):
    http, _ = receivers
    http.behaviours["/flaky"] = Behaviour(fail_first=2)
    http.behaviours["/broken"] = Behaviour(always_status=500)
    api = start_notify(stack)
    add_contact(api, "bob", {"kind": "slack", "address": f"{http.url}/flaky"})
    add_contact(api, "carol", {"kind": "mattermost", "address": f"{http.url}/broken"})
    add_contact(api, "dave", {"kind": "teams", "address": f"{http.url}/teams"})
    incident = incident_snapshot()
    send(stack, created(incident), step_fired(incident, ["bob", "carol", "dave"]))

    wait(lambda: [r[2] for r in deliveries(stack, incident["id"])] == ["sent", "dead", "sent"], stack,
         "bob sent, carol dead, dave sent")
    (teams,) = http.at("/teams")
    card = teams.json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"].startswith(f"{api}/v1/notifications/ack/")
    flaky = http.at("/flaky")
    assert [r.status for r in flaky] == [503, 503, 200]
    assert len({r.headers["Idempotency-Key"] for r in flaky}) == 1
    assert set(flaky[-1].json()) == {"text", "blocks"}
    broken = http.at("/broken")
    assert len(broken) == 3 and set(broken[0].json()) == {"text", "username", "attachments"}
    rows = deliveries(stack, incident["id"])
    assert rows[0][:4] == ("bob", "slack", "sent", 3)
    assert rows[1][:4] == ("carol", "mattermost", "dead", 3)
    assert "HTTP 500" in rows[1][4]
    time.sleep(1)
    assert len(http.at("/flaky")) == 3 and len(http.at("/broken")) == 3
