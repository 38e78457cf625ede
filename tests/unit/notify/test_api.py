"""Notify's API: contacts, rules with digests, templates and preview, manual sends, and the ack page."""

from __future__ import annotations

import pytest

from tests.unit.notify.test_paging import CREATED, INCIDENT, STEP, contact, step

ACK_REQUESTED = "firebreak.notify.acknowledgement_requested.v1"
STATUS = "firebreak.incident.status_changed.v1"


def test_responders_write_their_own_contact_only_and_secrets_stay_write_only(notify, token):
    client = notify.client
    webhook = {"kind": "webhook", "address": "http://hooks.test/a", "secret": "s"}
    created = client.post("/v1/contacts", json={"user": "alice", "methods": [webhook]}, headers=token()).json
    assert created["methods"] == [{"kind": "webhook", "address": "http://hooks.test/a", "has_secret": True,
                                   "delay_seconds": 0.0}]
    assert client.post("/v1/contacts", json={"user": "bob", "methods": []}, headers=token()).status_code == 403
    no_secret = client.post("/v1/contacts", json={"user": "zed", "methods": [{**webhook, "secret": None}]},
                            headers=token("admin"))
    assert no_secret.status_code == 422
    assert no_secret.json["errors"][0]["field"] == "methods.0.secret"
    bad = client.post("/v1/contacts", json={"user": "zed", "methods": [{"kind": "slack", "address": "file:///x"}]},
                      headers=token("admin"))
    assert bad.status_code == 422
    # a replace without the secret keeps it
    again = client.put(f"/v1/contacts/{created['id']}", json={"user": "alice", "methods": [
        {"kind": "webhook", "address": "http://hooks.test/a"}], "quiet_hours": {"start": "22:00", "end": "07:00"}},
        headers=token())
    assert again.status_code == 200 and again.json["methods"][0]["has_secret"]
    assert client.get("/v1/contacts/alice", headers=token("viewer", "x")).json["quiet_hours"]["end"] == "07:00"


def test_rules_announce_events_and_a_storm_folds_into_one_digest(notify, token):
    contact(notify.client, token, "alice", [{"kind": "slack", "address": "https://hooks.slack.test/a"}],
            teams=["sre"])
    rule = {"name": "sre status", "event_types": ["declared", "status_changed"], "teams": ["sre"],
            "recipients": [{"team": "sre"}, {"contact": "alice"}]}
    assert notify.client.post("/v1/notification-rules", json=rule, headers=token("admin")).status_code == 201
    bad = notify.client.post("/v1/notification-rules", json={**rule, "name": "x", "event_types": ["nope"]},
                             headers=token("admin"))
    assert bad.status_code == 422
    notify.deliver(CREATED, {**INCIDENT, "priority": "high", "severity": "major"}, sequence=1)
    notify.work()
    assert len(notify.senders.calls) == 1
    for seq, status in enumerate(("in_progress", "on_hold", "in_progress", "stable"), start=2):
        notify.deliver(STATUS, {**INCIDENT, "priority": "high", "severity": "major", "status": status},
                       sequence=seq)
        notify.clock.advance(1)
    notify.work()
    assert len(notify.senders.calls) == 1  # the storm waits for the digest window
    notify.clock.advance(60)
    notify.work()
    assert len(notify.senders.calls) == 2
    digest = notify.senders.calls[-1][2]
    assert "4 updates" in digest["text"]
    assert notify.rows("SELECT count(*), count(DISTINCT job_key) FROM deliveries") == [(5, 2)]
    assert {r[0] for r in notify.rows("SELECT status FROM deliveries")} == {"sent"}


def test_templates_render_in_previews_and_in_pages(notify, token):
    notify.deliver(CREATED, INCIDENT, sequence=1)
    body = {"name": "page-slack", "category": "page", "channel": "slack",
            "subject": "{{ incident.reference }} needs {{ recipient.name }}", "body": "Go: {{ ack_url }}"}
    created = notify.client.post("/v1/templates", json=body, headers=token("admin"))
    assert created.status_code == 201
    preview = notify.client.post(f"/v1/templates/{created.json['id']}/preview", json={"incident_id": "inc-1"},
                                 headers=token("viewer", "vic"))
    assert preview.status_code == 200
    assert preview.json["subject"] == "INC-1 needs vic"
    assert preview.json["payload"]["text"] == "INC-1 needs vic"
    broken = notify.client.post("/v1/templates", json={**body, "name": "b", "body": "{% for %}"},
                                headers=token("admin"))
    assert broken.status_code == 422 and broken.json["errors"][0]["field"] == "body"
    contact(notify.client, token, "bob", [{"kind": "slack", "address": "https://hooks.slack.test/b"}])
    notify.deliver(STEP, step(["bob"]))
    notify.work()
    assert notify.senders.calls[-1][2]["text"] == "INC-1 needs bob"


def test_a_manual_notification_goes_to_the_chosen_recipients(notify, token):
    notify.deliver(CREATED, INCIDENT, sequence=1)
    sent = notify.client.post("/v1/notifications", json={
        "incident_id": "inc-1", "message": "Status page updated",
        "recipients": [{"channel": "mattermost", "address": "https://mm.test/hooks/x"}]}, headers=token())
    assert sent.status_code == 202 and sent.json["deliveries"] == 1
    notify.work()
    body = notify.senders.calls[-1][2]
    assert body["username"] == "Firebreak" and "Status page updated" in body["text"]
    assert notify.client.post("/v1/notifications", json={"incident_id": "nope", "recipients": [{"team": "x"}]},
                              headers=token()).status_code == 404
    unsigned = notify.client.post("/v1/notifications", json={
        "incident_id": "inc-1", "recipients": [{"channel": "webhook", "address": "https://h.test/x"}]},
        headers=token())
    assert unsigned.status_code == 422 and unsigned.json["errors"][0]["field"] == "recipients.0.secret"


@pytest.fixture
def ack_url(notify, token):
    contact(notify.client, token, "alice", [{"kind": "webhook", "address": "http://h.test/a", "secret": "s"}])
    notify.deliver(CREATED, INCIDENT, sequence=1)
    notify.deliver(STEP, step(["alice"]))
    notify.work()
    return notify.senders.calls[-1][2]["ack_url"].removeprefix("https://fb.example")


def test_get_shows_the_ack_page_and_changes_nothing(notify, ack_url):
    page = notify.client.get(ack_url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"Acknowledge as alice" in page.data and b'method="post"' in page.data
    assert [t for t, _ in notify.outbox()] == []


def test_post_asks_the_incident_service_to_acknowledge_once(notify, ack_url):
    done = notify.client.post(ack_url, headers={"Accept": "application/json"})
    assert done.status_code == 200 and done.json["acknowledged"] is True
    ((kind, data),) = notify.outbox()
    assert kind == ACK_REQUESTED and data["user"] == "alice" and data["via"] == "ack_url"
    notify.deliver("firebreak.incident.acknowledged.v1", {**INCIDENT, "acknowledged_at": "2026-03-10T12:00:00Z"},
                   sequence=2)
    again = notify.client.post(ack_url)
    assert again.status_code == 200 and b"Already acknowledged" in again.data
    assert len(notify.outbox()) == 1


def test_an_altered_or_expired_link_is_refused(notify, ack_url):
    prefix, token = ack_url.rsplit("/", 1)
    payload, mac = token.split(".")
    altered = f"{prefix}/{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{mac}"
    for method in (notify.client.get, notify.client.post):
        refused = method(altered)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    notify.clock.advance(24 * 3600 + 1)
    expired = notify.client.post(ack_url)
    assert expired.status_code == 403 and "expired" in expired.json["detail"]
    assert notify.outbox() == []


def test_without_an_hs256_secret_the_ack_key_is_kept_in_the_database(base_env, tmp_path):
    from firebreak.registry import definition
    from firebreak.setup import migrate_database
    from services.notify.domain.signing import AckToken

    service = definition("notify")
    env = {**base_env, "FIREBREAK_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"}
    first, second = service.runtime(env), service.runtime(env)
    try:
        assert first.notify.ack_secret is None
        migrate_database(service, first.settings)
        keys = []
        for runtime in (first, second):
            with service.uow_class(runtime) as uow:
                keys.append(uow.ack_secret())
        assert keys[0] == keys[1] and len(keys[0]) > 40  # every replica signs and checks with the same key
        token = AckToken("i", "u", 2_000_000_000).encode(keys[0])
        assert AckToken.decode(keys[1], token, 1_000).user == "u"
    finally:
        first.dispose()
        second.dispose()
