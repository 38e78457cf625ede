"""SLA timers with several scheduler processes on one PostgreSQL: each warning and breach once, none lost.

Two `firebreak serve sla scheduler` processes share the timers; one is killed with SIGKILL mid-run and a
replacement started. Every (incident, target, kind) must arrive exactly once. The embedded mode
(`firebreak run`) must run the scheduler too.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time

import port_for
import pytest
import requests

from firebreak.devstack import wait_for
from tests.integration.helpers import bearer, query
from tests.integration.test_sla_rules import FAST, Incident, SlaEvents

pytestmark = pytest.mark.integration
INCIDENTS = 40


def counts(events: SlaEvents) -> collections.Counter:
    with events.lock:
        return collections.Counter((d["incident_id"], d["target"], kind) for _, kind, _, d in events.items)


def test_two_schedulers_each_breach_once_and_a_killed_one_loses_nothing(stack):
    events = SlaEvents(stack.rabbitmq.url)
    probe = port_for.select_random()
    api = stack.start_api("sla")
    stack.start("sla", "consumer")
    stack.start("sla", "relay")
    survivor = stack.start("sla", "scheduler", FIREBREAK_PROBE_PORT=str(probe))
    victim = stack.start("sla", "scheduler")
    stack.wait_started()
    policy = requests.post(f"{api}/v1/sla/policies", headers=bearer("admin"), timeout=10,
                           json={"name": "fast", "team": "fast", "targets": FAST, "warning_percent": 50})
    assert policy.status_code == 201, policy.text

    incidents = []
    for _ in range(INCIDENTS):  # 4 timers each (high: warnings at 1 s and 2 s, breaches at 2 s and 4 s)
        incident = Incident(stack.rabbitmq.url)
        incident.publish("created")
        incidents.append(incident)
        time.sleep(0.05)
    expected = {(i.id, target, kind) for i in incidents for target in ("response", "resolution")
                for kind in ("warning", "breached")}

    wait_for(lambda: sum(counts(events).values()) >= len(expected) // 4, timeout=60,
             what=f"the first SLA events\n{stack.logs()}")
    victim.kill(signal.SIGKILL)
    replacement = stack.start("sla", "scheduler")
    try:
        wait_for(lambda: set(counts(events)) >= expected, timeout=90, what="every warning and breach")
    except TimeoutError:  # say what is missing at the timeout, not what was missing when the wait began
        pytest.fail(f"missing {sorted(expected - set(counts(events)))[:5]}\n{stack.logs()}")
    time.sleep(2)  # room for a duplicate to show up
    events.stop.set()

    seen = counts(events)
    assert set(seen) == expected
    duplicates = {key: n for key, n in seen.items() if n != 1}
    assert not duplicates, duplicates
    assert replacement.alive() and survivor.alive()
    url = stack.env["FIREBREAK_SLA_DATABASE_URL"]
    assert query(url, "SELECT count(*) FROM timers")[0][0] == 0
    assert query(url, "SELECT count(*) FROM outbox WHERE type = 'firebreak.sla.breached.v1'")[0][0] == INCIDENTS * 2
    # Each record's SLA sequence counted its four announcements once.
    assert query(url, "SELECT count(*) FROM sla_records WHERE sla_sequence <> 4")[0][0] == 0

    metrics = requests.get(f"http://127.0.0.1:{probe}/metrics", timeout=10).text
    assert "firebreak_sla_timers_pending" in metrics
    assert 'firebreak_sla_breaches_total{priority="high",target=' in metrics
    assert 'firebreak_sla_evaluations_total{outcome="breached",priority="high"' in metrics
    assert 'firebreak_timer_lateness_seconds_bucket{kind="sla.breach"' in metrics
    assert "firebreak_sla_announcement_lateness_seconds_bucket" in metrics


def test_embedded_mode_runs_the_sla_scheduler(tmp_path):
    port = port_for.select_random()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBREAK_", "AMQP_URL", "DATABASE_URL"))}
    env.update(FIREBREAK_PORT=str(port), FIREBREAK_DATA_DIR=str(tmp_path / "data"), FIREBREAK_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "firebreak", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="firebreak run to answer")
        token = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        [default] = requests.get(f"{base}/v1/sla/policies", headers=headers, timeout=5).json()["items"]
        replaced = requests.put(f"{base}/v1/sla/policies/{default['id']}", headers=headers, timeout=5,
                                json={"name": "default", "targets": {"low": {"response": 1, "resolution": 2}}})
        assert replaced.status_code == 200, replaced.text
        created = requests.post(f"{base}/v1/incidents", headers=headers, timeout=10,
                                json={"title": "Disk full", "severity": "minor", "priority": "low"})
        assert created.status_code == 201, created.text
        incident_id = created.json()["id"]

        def breached():
            sla = requests.get(f"{base}/v1/sla/incidents/{incident_id}", headers=headers, timeout=5)
            return sla.ok and sla.json()["targets"]["resolution"]["breached_at"] is not None

        wait_for(breached, timeout=60, what="the embedded scheduler to announce the breach")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)
