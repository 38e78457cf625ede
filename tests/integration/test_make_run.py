"""`make run`, the README's first command: the whole platform in one process, on a fresh data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import port_for
import requests

from firebreak.devstack import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_answers_healthz_and_creates_an_incident(tmp_path):
    port = port_for.select_random()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBREAK_", "AMQP_URL", "DATABASE_URL"))}
    env.update(FIREBREAK_PORT=str(port), FIREBREAK_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="make run to answer")
        # The CLI finds the signing secret in the data dir, as the server does.
        token = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "responder"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        assert token.count(".") == 2
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(f"{base}/v1/incidents", json={"title": "First", "severity": "minor",
                                                               "priority": "low"}, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        incident_id = created.json()["id"]
        # The escalation service answers for an incident it knows on /v1/escalations?incident_id=.
        wait_for(lambda: requests.get(f"{base}/v1/escalations", params={"incident_id": incident_id},
                                      headers=headers, timeout=5).status_code == 200,
                 timeout=15, what="escalations to learn of the incident")
        wait_for(lambda: requests.get(f"{base}/v1/sla/incidents/{incident_id}", headers=headers,
                                      timeout=5).status_code == 200, timeout=15, what="sla to learn of the incident")
        # The notify service's delivery log answers for an incident it knows (404 before).
        wait_for(lambda: requests.get(f"{base}/v1/notifications", params={"incident_id": incident_id},
                                      headers=headers, timeout=5).status_code == 200,
                 timeout=15, what="notify to learn of the incident")
        # The postmortem service knows the incident once it refuses a postmortem as unresolved (409, not 404).
        wait_for(lambda: requests.post(f"{base}/v1/postmortems", json={"incident_id": incident_id}, headers=headers,
                                       timeout=5).status_code == 409,
                 timeout=15, what="postmortems to learn of the incident")
        assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"
        spec = requests.get(f"{base}/openapi.json", headers=headers, timeout=5).json()
        assert "/v1/incidents" in spec["paths"] and "/v1/sla/incidents/{incident_id}" in spec["paths"]
        assert (tmp_path / "data" / "incident.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert "Admin token" in output
