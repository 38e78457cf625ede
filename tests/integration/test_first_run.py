"""A new user's first run: what `make run` installs, `firebreak token` without a secret, a taken port, what the
log shows, the public API reference, and the README's "Try it" pasted as is."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import port_for
import pytest
import requests

from firebreak.devstack import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _env(data_dir: Path, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBREAK_", "AMQP_URL", "DATABASE_URL"))}
    env["FIREBREAK_DATA_DIR"] = str(data_dir)
    if port:
        env["FIREBREAK_PORT"] = str(port)
    return env


def test_make_run_installs_only_what_running_needs_and_make_test_adds_the_test_extra(tmp_path):
    venv = tmp_path / "venv"
    run = subprocess.run(["make", "-n", "--no-print-directory", "run", f"VENV={venv}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "pip install --quiet -e .\n" in run and "[test]" not in run
    test = subprocess.run(["make", "-n", "--no-print-directory", "test", f"VENV={venv}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    assert "pip install --quiet -e '.[test]'" in test


def test_token_never_creates_a_secret(tmp_path):
    data = tmp_path / "elsewhere"
    done = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "admin"],
                          env=_env(data), capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert str(data / "jwt-secret") in done.stderr and "FIREBREAK_JWT_SECRET" in done.stderr
    assert not (data / "jwt-secret").exists()


def test_run_on_a_taken_port_says_so_before_doing_anything(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "firebreak", "run"], env=_env(tmp_path / "data", port),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr and "already in use" in done.stderr
    assert "Admin token" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "incident.db").exists()  # nothing migrated


@pytest.fixture
def running(tmp_path):
    port = port_for.select_random()
    env = _env(tmp_path / "data", port)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "firebreak", "run"], env=env, stdout=out, stderr=out,
                                start_new_session=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="firebreak run")
        yield base, env, log
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)


def test_log_docs_and_the_readme_try_it(running):
    base, env, log = running
    # /openapi.json and /docs are public; /docs loads nothing from the network.
    assert "/v1/incidents" in requests.get(f"{base}/openapi.json", timeout=10).json()["paths"]
    page = requests.get(f"{base}/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    script = requests.get(f"{base}/docs/reference.js", timeout=10)
    assert script.status_code == 200 and "openapi.json" in script.text

    # The README's "Try it", pasted as is (only the port differs).
    readme = (ROOT / "README.md").read_text()
    try_it = readme.split("## Try it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", try_it, re.S).group(1).replace("127.0.0.1:8080", base.split("//")[1])
    assert "<id>" not in block
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    incident_id = re.search(r"incident ([0-9a-f-]{36})", done.stdout).group(1)
    assert f'"incident_id": "{incident_id}"' in done.stdout or f'"incident_id":"{incident_id}"' in done.stdout

    # An alert, an incident, an SLA warning and breach: each an info line.
    token = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "admin"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    admin = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{base}/v1/sla/policies", headers=admin, timeout=10, json={
        "name": "fast", "team": "web", "warning_percent": 50,
        "targets": {"low": {"response": 3, "resolution": 3600}}}).status_code == 201
    key = requests.post(f"{base}/v1/integrations", headers=admin, timeout=10, json={
        "name": "gen", "kind": "generic", "default_team": "web"}).json()["key"]
    sent = requests.post(f"{base}/v1/alerts/generic", headers={"X-Firebreak-Key": key}, timeout=10,
                         json={"summary": "Disk full on web-01", "severity": "info"})
    assert sent.status_code == 202, sent.text

    def lines() -> str:
        return log.read_text()

    wait_for(lambda: "SLA breached" in lines(), timeout=20, interval=0.3, what=f"an SLA breach line\n{lines()}")
    text = lines()
    assert "alert received from generic: new_incident" in text
    assert "incident opened:" in text and "SLA warning" in text
    assert re.search(r"POST /v1/incidents 201 \d+ ms", text)
    assert "No hostname was supplied" not in text
