"""Pages: each user's methods after their delays, once per (event, recipient, method), cancelled by an ack."""

from __future__ import annotations

import pytest

from libs.common.jobs import PermanentFailure
from services.notify.adapters.senders import DeliveryError
from services.notify.domain.signing import verify

STEP = "firebreak.escalation.step_fired.v1"
CREATED = "firebreak.incident.created.v1"
ACKED = "firebreak.incident.acknowledged.v1"
STOPPED = "firebreak.escalation.stopped.v1"
INCIDENT = {"id": "inc-1", "reference": "INC-1", "title": "Checkout down", "severity": "critical",
            "priority": "critical", "status": "new", "team": "sre", "private": False, "commander": "carol"}


def contact(client, token, user, methods, **extra):
    response = client.post("/v1/contacts", json={"user": user, "methods": methods, **extra},
                           headers=token("admin", "root"))
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def people(notify, token):
    contact(notify.client, token, "alice", [
        {"kind": "webhook", "address": "http://hooks.test/alice", "secret": "alice-secret"},
        {"kind": "email", "address": "alice@example.com", "delay_seconds": 300}])
    contact(notify.client, token, "bob", [{"kind": "slack", "address": "https://hooks.slack.test/T/B/x"}])
    notify.deliver(CREATED, INCIDENT, sequence=1)


def step(users, token="t1", **extra) -> dict:
    return {"incident_id": "inc-1", "step": 0, "level": 1, "team": "sre", "users": users, "token": token,
            "incident": {**INCIDENT, "links": {"incident": "/v1/incidents/inc-1"}}, **extra}


def statuses(notify) -> list[tuple]:
    return notify.rows("SELECT recipient, method_kind, status, attempts FROM deliveries ORDER BY recipient, "
                       "method_kind")


def test_a_step_pages_each_method_after_its_delay(notify, people):
    notify.deliver(STEP, step(["alice", "bob"]))
    assert notify.work() == 2
    kinds = sorted((c[1], c[3].get("Idempotency-Key", "")[:2]) for c in notify.senders.calls)
    assert kinds == [("http://hooks.test/alice", "d:"), ("https://hooks.slack.test/T/B/x", "d:")]
    webhook = next(c for c in notify.senders.calls if c[1] == "http://hooks.test/alice")
    assert verify("alice-secret", webhook[4], webhook[3]["Firebreak-Signature"], notify.clock.now().timestamp())
    assert webhook[2]["ack_url"].startswith("https://fb.example/v1/notifications/ack/")
    assert webhook[2]["incident"]["links"] == [{"title": "incident", "url": "https://fb.example/v1/incidents/inc-1"}]
    assert "incident: https://fb.example/v1/incidents/inc-1" in webhook[2]["text"]
    assert statuses(notify) == [("alice", "email", "pending", 0), ("alice", "webhook", "sent", 1),
                                ("bob", "slack", "sent", 1)]
    notify.clock.advance(301)
    assert notify.work() == 1
    to, subject, body, _ = notify.senders.calls[-1][1:]
    assert to == "alice@example.com" and subject.startswith("PAGE [INC-1]") and "Acknowledge: https://" in body


def test_the_same_step_twice_pages_once_and_a_user_without_contact_is_logged(notify, people):
    notify.deliver(STEP, step(["alice", "dave"]), event_id="11111111-1111-1111-1111-111111111111")
    assert notify.deliver(STEP, step(["alice", "dave"]), event_id="11111111-1111-1111-1111-111111111111") \
        == "duplicate"
    notify.deliver(STEP, step(["alice", "dave"]))  # republished under a new id, same step token
    assert notify.rows("SELECT count(*) FROM jobs")[0][0] == 2
    assert ("dave", "none", "dead", 0) in statuses(notify)
    notify.clock.advance(400)
    notify.work(3)
    assert len(notify.senders.calls) == 2


@pytest.mark.parametrize("how", ["acknowledged", "stopped"])
def test_an_acknowledgement_cancels_methods_still_waiting(notify, people, how):
    notify.deliver(STEP, step(["alice"]))
    notify.work()
    if how == "acknowledged":
        notify.deliver(ACKED, {**INCIDENT, "acknowledged_at": "2026-03-10T12:00:05+00:00"}, sequence=2)
    else:
        notify.deliver(STOPPED, {"incident_id": "inc-1", "reason": "acknowledged"})
    notify.clock.advance(400)
    assert notify.work() == 0
    assert statuses(notify) == [("alice", "email", "cancelled", 0), ("alice", "webhook", "sent", 1)]
    if how == "acknowledged":
        notify.deliver(STEP, step(["alice"], token="t2"))
        assert notify.rows("SELECT count(*) FROM jobs")[0][0] == 2  # settled: nobody is paged again


def test_stopping_one_chain_leaves_a_newer_chains_pages_and_an_ack_cancels_all(notify, people):
    notify.deliver(STEP, step(["alice"], escalation_id="chain-a"))
    notify.deliver(STEP, step(["alice"], token="t9", escalation_id="chain-b"))  # e.g. after a reassignment
    notify.work()
    notify.deliver(STOPPED, {"incident_id": "inc-1", "escalation_id": "chain-a", "reason": "reassigned"})
    waiting = notify.rows("SELECT \"group\", status FROM deliveries WHERE method_kind = 'email' ORDER BY 1")
    assert waiting == [("page:inc-1:chain-a", "cancelled"), ("page:inc-1:chain-b", "pending")]
    notify.deliver(ACKED, {**INCIDENT, "acknowledged_at": "2026-03-10T12:00:05+00:00"}, sequence=2)
    assert {r[0] for r in notify.rows("SELECT status FROM deliveries WHERE method_kind = 'email'")} == {"cancelled"}


def test_a_failing_receiver_is_retried_and_one_that_always_fails_ends_dead(notify, people):
    notify.senders.failures = [DeliveryError("HTTP 503"), DeliveryError("HTTP 502")]
    notify.deliver(STEP, step(["bob"]))
    for _ in range(3):
        notify.work()
        notify.clock.advance(2)
    assert statuses(notify) == [("bob", "slack", "sent", 3)]
    notify.senders.failures = [DeliveryError("HTTP 500: boom")] * 3
    notify.deliver(STEP, step(["bob"], token="t2"))
    for _ in range(4):
        notify.work()
        notify.clock.advance(2)
    rows = notify.rows("SELECT status, attempts, last_error FROM deliveries ORDER BY id")
    assert rows[-1] == ("dead", 3, "DeliveryError: HTTP 500: boom")


def test_outcomes_are_counted_per_channel(notify, people):
    from prometheus_client import REGISTRY

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("firebreak_notifications_total", channel="slack", outcome="sent")
    retried = sample("firebreak_notification_retries_total", channel="slack")
    handoffs = sample("firebreak_notification_handoff_seconds_count", channel="slack")
    for channel in ("email", "webhook", "slack", "mattermost", "teams", "apprise"):  # every series exists from 0
        assert REGISTRY.get_sample_value("firebreak_notifications_total", {"channel": channel, "outcome": "dead"}) \
            is not None
    notify.senders.failures = [DeliveryError("HTTP 503")]
    notify.deliver(STEP, step(["bob"]))
    notify.work()
    notify.clock.advance(2)
    notify.work()
    assert sample("firebreak_notifications_total", channel="slack", outcome="sent") == before + 1
    assert sample("firebreak_notification_retries_total", channel="slack") == retried + 1
    assert sample("firebreak_notification_handoff_seconds_count", channel="slack") == handoffs + 1


def test_a_permanent_failure_is_dead_at_once(notify, people):
    notify.senders.failures = [PermanentFailure("HTTP 404 Not Found")]
    notify.deliver(STEP, step(["bob"]))
    notify.work()
    assert notify.rows("SELECT status, attempts FROM deliveries") == [("dead", 1)]


def test_the_delivery_log_lists_deliveries_for_those_who_may_see_the_incident(notify, people, token):
    notify.deliver(STEP, step(["bob"]))
    notify.work()
    log = notify.client.get("/v1/notifications?incident_id=inc-1", headers=token("viewer", "eve")).json
    (item,) = log["items"]
    assert (item["recipient"], item["method_kind"], item["status"], item["attempts"]) == ("bob", "slack", "sent", 1)
    assert item["event_type"] == STEP and item["sent_at"] and "x" not in item["address"].split("/")[-1]
    notify.deliver("firebreak.incident.updated.v1", {**INCIDENT, "private": True}, sequence=2)
    assert notify.client.get("/v1/notifications?incident_id=inc-1", headers=token("viewer", "eve")).status_code \
        == 404
    assert notify.client.get("/v1/notifications?incident_id=inc-1",
                             headers=token("viewer", "eve", ["sre"])).status_code == 200
    assert notify.client.get("/v1/notifications", headers=token("viewer", "eve")).status_code == 403
