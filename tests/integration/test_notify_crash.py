"""Notify under duplicates and a SIGKILLed worker: each recipient's page arrives once, or twice with one key."""

from __future__ import annotations

from collections import defaultdict

from tests.integration.helpers import query
from tests.integration.notify_support import (  # noqa: F401 - receivers_fixture: the `receivers` fixture
    FAST,
    add_contact,
    created,
    incident_snapshot,
    receivers_fixture,
    send,
    start_notify,
    step_fired,
    wait,
)
from tests.integration.receivers import Behaviour


def test_a_duplicated_step_and_a_killed_worker_page_each_recipient_once_per_key(stack, receivers):
    http, _ = receivers
    http.behaviours["/alice"] = Behaviour(stall_first=4.0)  # the worker is killed while this call is open
    api = start_notify(stack, kinds=("consumer",))
    scheduler = stack.start("notify", "scheduler", **FAST, FIREBREAK_PUBLIC_URL=api)
    for user in ("alice", "bob", "carol"):
        add_contact(api, user, {"kind": "webhook", "address": f"{http.url}/{user}", "secret": f"{user}-secret"})
    incident = incident_snapshot()
    step = step_fired(incident, ["alice", "bob", "carol"])
    again = step_fired(incident, ["alice", "bob", "carol"])  # the same step republished under a new event id
    send(stack, created(incident), step, step, again)

    wait(lambda: http.at("/alice"), stack, "alice's first attempt to be in flight")
    scheduler.kill(9)
    stack.start("notify", "scheduler", **FAST, FIREBREAK_PUBLIC_URL=api)

    db = stack.env["FIREBREAK_NOTIFY_DATABASE_URL"]
    wait(lambda: [r[0] for r in query(db, "SELECT status FROM deliveries")] == ["sent"] * 3, stack,
         "three sent deliveries after the restart")
    keys = defaultdict(set)
    for request in http.received:
        keys[request.path].add(request.headers["Idempotency-Key"])
    assert {path: len(k) for path, k in keys.items()} == {"/alice": 1, "/bob": 1, "/carol": 1}
    assert 1 <= len(http.at("/bob")) <= 2 and 1 <= len(http.at("/carol")) <= 2
    assert len(http.at("/alice")) == 2  # the crash window: sent, not recorded, sent again with the same key
    assert query(db, "SELECT count(*) FROM jobs")[0][0] == 3
    assert query(db, "SELECT attempts FROM deliveries WHERE recipient = 'alice'")[0][0] == 2
