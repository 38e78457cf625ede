"""An incident declared over HTTP reaches the four other services, on PostgreSQL and RabbitMQ."""

import requests

from firebreak.devstack import wait_for
from tests.integration.helpers import CONSUMERS, bearer, known


def test_incident_created_over_http_reaches_every_other_service(stack):
    api = stack.start_api("incident")
    stack.start("incident", "relay")
    for service in CONSUMERS:
        stack.start(service, "consumer")

    response = requests.post(f"{api}/v1/incidents", json={"title": "Checkout errors", "severity": "major",
                                                          "priority": "high"}, headers=bearer(), timeout=10)
    assert response.status_code == 201, response.text
    incident = response.json()
    assert incident["reference"].startswith("INC-")

    for service in CONSUMERS:
        wait_for(lambda s=service: known(stack, s, incident["id"]) == 1, timeout=30,
                 what=f"{service} to record the incident\n{stack.logs()}")

    sla_api = stack.start_api("sla")
    seen = requests.get(f"{sla_api}/v1/sla/incidents/{incident['id']}", headers=bearer("viewer"), timeout=10)
    assert seen.status_code == 200
    assert seen.json()["priority"] == "high"
    assert seen.json()["sequence"] == 1


def test_readyz_reports_database_and_broker(stack):
    api = stack.start_api("incident")
    body = requests.get(f"{api}/readyz", timeout=10).json()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
