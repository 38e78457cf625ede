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
        for path in ("sla", "escalations", "notifications", "postmortems"):
            wait_for(lambda p=path: requests.get(f"{base}/v1/{p}/incidents/{incident_id}", headers=headers,
                                                 timeout=5).status_code == 200,
                     timeout=15, what=f"{path} to learn of the incident")
        assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"
        spec = requests.get(f"{base}/openapi.json", headers=headers, timeout=5).json()
        assert "/v1/incidents" in spec["paths"] and "/v1/sla/incidents/{incident_id}" in spec["paths"]
        assert (tmp_path / "data" / "incident.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert "Admin token" in output
