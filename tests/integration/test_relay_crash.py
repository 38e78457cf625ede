"""A relay killed mid-batch loses nothing and, through the consumers' inbox, duplicates nothing."""

import pytest
import requests

from firebreak.devstack import wait_for
from tests.integration.helpers import CONSUMERS, bearer, inbox_count, known, query


@pytest.mark.parametrize("point", ["relay.before_publish", "relay.after_publish"])
def test_relay_killed_mid_batch_delivers_once_after_restart(stack, point):
    api = stack.start_api("incident")
    for service in CONSUMERS:
        stack.start(service, "consumer")
    crashing = stack.start("incident", "relay", FIREBREAK_FAULT_PAUSE=point)

    created = requests.post(f"{api}/v1/incidents", json={"title": "Disk full", "severity": "minor",
                                                         "priority": "low"}, headers=bearer(), timeout=10)
    assert created.status_code == 201
    incident_id = created.json()["id"]

    marker = stack.tmp / "faults" / point
    wait_for(marker.exists, timeout=30, what=f"relay to reach {point}\n{crashing.log()}")
    crashing.kill(9)
    outbox_url = stack.env["FIREBREAK_INCIDENT_DATABASE_URL"]
    assert query(outbox_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 1

    stack.start("incident", "relay")
    for service in CONSUMERS:
        wait_for(lambda s=service: known(stack, s, incident_id) == 1, timeout=30,
                 what=f"{service} to record the incident\n{stack.logs()}")
    wait_for(lambda: query(outbox_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0,
             timeout=10, what="outbox to drain")
    for service in CONSUMERS:
        # one event, handled once, whether the broker saw it once or twice
        assert inbox_count(stack, service) == 1
        assert known(stack, service, incident_id) == 1
