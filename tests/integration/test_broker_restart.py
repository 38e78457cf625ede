"""RabbitMQ restarted while incidents flow: nothing lost, everyone reconnects, /readyz follows the broker."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from firebreak.devstack import LocalRabbitMQ, wait_for
from tests.integration.conftest import Stack
from tests.integration.helpers import CONSUMERS, INCIDENT_COPIES, bearer, query


@pytest.fixture
def own_broker(tmp_path_factory):
    rmq = LocalRabbitMQ(tmp_path_factory.mktemp("rabbitmq-restart")).start()
    yield rmq
    rmq.stop()


def test_broker_restart_loses_nothing_and_services_reconnect(postgres, own_broker, tmp_path):
    stack = Stack(postgres, own_broker, tmp_path)
    stack.migrate()
    try:
        api = stack.start_api("incident")
        stack.start("incident", "relay")
        for service in CONSUMERS:
            stack.start(service, "consumer")

        created: list[str] = []
        failures: list[str] = []
        done = threading.Event()

        def declare_incidents():
            i = 0
            while not done.is_set():
                r = requests.post(f"{api}/v1/incidents", json={"title": f"flow {i}", "severity": "minor",
                                                               "priority": "low"}, headers=bearer(), timeout=10)
                (created if r.status_code == 201 else failures).append(r.json().get("id", r.text))
                i += 1
                time.sleep(0.05)

        writer = threading.Thread(target=declare_incidents, daemon=True)
        writer.start()
        wait_for(lambda: len(created) >= 10, what="incidents flowing")

        own_broker.stop()
        wait_for(lambda: requests.get(f"{api}/readyz", timeout=10).status_code == 503, timeout=20,
                 what="readyz to report the broker down")
        assert requests.get(f"{api}/readyz", timeout=10).json()["checks"]["broker"].startswith("unreachable")
        time.sleep(2)  # incidents keep being declared while the broker is away
        own_broker.start()
        wait_for(lambda: requests.get(f"{api}/readyz", timeout=10).status_code == 200, timeout=30,
                 what="readyz to report the broker back")
        time.sleep(1)
        done.set()
        writer.join(15)

        assert not failures, failures[:3]
        expected = set(created)
        for service in CONSUMERS:
            url = stack.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"]
            copies = f"SELECT incident_id FROM {INCIDENT_COPIES.get(service, 'known_incidents')}"
            wait_for(lambda u=url, q=copies: {r[0] for r in query(u, q)} == expected,
                     timeout=90, what=f"{service} to catch up after the restart\n{stack.logs()}")
            assert query(url, "SELECT count(*) FROM inbox")[0][0] == len(expected)
        assert all(p.alive() for p in stack.processes), stack.logs()
    finally:
        stack.stop_all()
