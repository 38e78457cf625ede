"""Alert intake on PostgreSQL under concurrency: one incident per dedup key, every alert counted."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.integration.helpers import bearer, query
from tests.senders import fixture


def test_concurrent_posts_open_one_incident_per_key(stack):
    api = stack.start_api("incident", FIREBREAK_WEB_WORKERS="2", FIREBREAK_WEB_THREADS="4")
    created = requests.post(f"{api}/v1/integrations", json={"name": "am", "kind": "alertmanager"},
                            headers=bearer("admin"), timeout=10).json()
    key = created["key"]
    base = fixture("alertmanager-v4-firing.json")

    def send(i: int) -> int:
        body = json.loads(json.dumps(base))
        body["groupKey"] = f"group-{i % 5}"
        return requests.post(f"{api}/v1/alerts/alertmanager", json=body, headers={"X-Firebreak-Key": key},
                             timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, range(60)))
    assert codes == [202] * 60
    url = stack.env["FIREBREAK_INCIDENT_DATABASE_URL"]
    assert query(url, "SELECT count(*) FROM incidents")[0][0] == 5
    assert query(url, "SELECT sum(count) FROM alerts")[0][0] == 60
    assert query(url, "SELECT count(DISTINCT incident_id) FROM alerts")[0][0] == 5
    metrics = requests.get(f"{api}/metrics", timeout=10).text
    assert 'firebreak_alerts_received_total{outcome="new_incident",source="alertmanager"} 5.0' in metrics
    assert 'firebreak_alerts_received_total{outcome="deduplicated",source="alertmanager"} 55.0' in metrics
