"""A real Prometheus scraping a running `firebreak run`: every dashboard and rule expression evaluates, the first
breach and acknowledgement count, and the exposition passes `promtool check metrics`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import port_for
import pytest
import requests
import yaml

from firebreak.devstack import wait_for
from tests.chart.conftest import CHART, NAMESPACE, render

pytestmark = pytest.mark.skipif(not shutil.which("prometheus"), reason="needs Debian's prometheus package")

DASHBOARDS = CHART / "dashboards"
# Grafana's variables as the test's Prometheus sees them (scrape every second, a few minutes of history).
GRAFANA = {"$__rate_interval": "10s", "$__interval": "1s", "$__range": "5m", "$namespace": NAMESPACE}


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBREAK_", "AMQP_URL", "DATABASE_URL"))}
    env.update(FIREBREAK_PORT=str(port), FIREBREAK_DATA_DIR=str(tmp_path / "data"))
    return env


def _rules(tmp_path: Path) -> Path:
    """The chart's PrometheusRule, as a plain rule file."""
    rendered = render({"metrics": {"prometheusRule": {"enabled": True}}})
    (rule,) = rendered.kind("PrometheusRule")
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    return path


def _start_prometheus(tmp_path: Path, target: str) -> tuple[subprocess.Popen, str]:
    rules = _rules(tmp_path)
    subprocess.run(["promtool", "check", "rules", str(rules)], check=True, capture_output=True)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "firebreak", "static_configs": [
            {"targets": [target], "labels": {"namespace": NAMESPACE}}]}],
    }))
    port = port_for.select_random()
    proc = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def _query(prom: str, expr: str) -> list[dict]:
    body = requests.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


def _value(prom: str, expr: str) -> float:
    result = _query(prom, expr)
    assert len(result) == 1, f"{expr}: {result}"
    return float(result[0]["value"][1])


def _dashboard_exprs() -> list[tuple[str, str, str]]:
    """(dashboard panel, panel type, PromQL) for every query of every dashboard."""
    out = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, value in GRAFANA.items():
                    expr = expr.replace(variable, value)
                out.append((f"{path.stem}: {panel['title']}", panel["type"], expr))
    return out


def _rule_exprs(tmp_path: Path) -> list[str]:
    groups = yaml.safe_load((tmp_path / "rules.yml").read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_prometheus_scrapes_counts_the_first_events_and_evaluates_every_expression(tmp_path):
    port = port_for.select_random()
    env = _env(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "firebreak", "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    prom_proc = None
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="firebreak run")
        scrape = requests.get(f"{base}/metrics", timeout=10).text
        check = subprocess.run(["promtool", "check", "metrics"], input=scrape, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert scrape.count("# HELP firebreak_outbox_pending ") == 1
        for service in ("incident", "sla", "escalation", "notify", "postmortem"):
            assert f'firebreak_outbox_pending{{service="{service}"}}' in scrape

        prom_proc, prom = _start_prometheus(tmp_path, f"127.0.0.1:{port}")
        # Scraped twice before anything happens: the series the events will move already exist, at zero.
        wait_for(lambda: _value(prom, f'count_over_time(up{{namespace="{NAMESPACE}"}}[1m])') >= 2, timeout=30,
                 interval=0.5, what="Prometheus to scrape firebreak twice")

        token = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        policy = requests.post(f"{base}/v1/sla/policies", headers=headers, timeout=10, json={
            "name": "ops-fast", "team": "ops", "targets": {"critical": {"response": 2, "resolution": 3600}}})
        assert policy.status_code == 201, policy.text

        def declare(title: str) -> str:
            created = requests.post(f"{base}/v1/incidents", headers=headers, timeout=10, json={
                "title": title, "severity": "critical", "priority": "critical", "team": "ops"})
            assert created.status_code == 201, created.text
            return created.json()["id"]

        acked, unacked = [declare(f"acked {i}") for i in range(2)], [declare(f"late {i}") for i in range(2)]
        mtta = []
        for incident_id in acked:
            done = requests.post(f"{base}/v1/incidents/{incident_id}/actions/acknowledge", headers=headers,
                                 json={}, timeout=10)
            assert done.status_code == 200, done.text
            body = done.json()
            mtta.append((datetime.fromisoformat(body["acknowledged_at"])
                         - datetime.fromisoformat(body["created_at"])).total_seconds())

        def sla_outcomes() -> dict[str, str]:
            out = {}
            for incident_id in acked + unacked:
                sla = requests.get(f"{base}/v1/sla/incidents/{incident_id}", headers=headers, timeout=5)
                if sla.ok and "response" in sla.json()["targets"]:
                    out[incident_id] = sla.json()["targets"]["response"]["breached"]
            return out

        wait_for(lambda: [sla_outcomes().get(i) for i in unacked] == [True, True], timeout=30,
                 interval=0.5, what="the unacknowledged incidents to breach their response SLA")
        breaches = 'sum(firebreak_sla_breaches_total{namespace="firebreak", priority="critical", target="response"})'
        wait_for(lambda: _value(prom, breaches) == 2, timeout=20, interval=0.5, what="Prometheus to see 2 breaches")
        wait_for(lambda: _value(prom, 'sum(firebreak_sla_evaluations_total{outcome="met"})') == 2, timeout=20,
                 interval=0.5, what="Prometheus to see 2 targets met")
        time.sleep(2)  # a couple more scrapes and rule evaluations

        # The first events count: increase() sees the 0 -> n step because the series existed at 0.
        assert _value(prom, f"sum(increase({breaches.removeprefix('sum(').removesuffix(')')}[5m]))") >= 1.5
        ratio = _value(prom, 'firebreak:sla_breach:ratio_1h{priority="critical", target="response"}')
        assert ratio == pytest.approx(0.5, abs=0.15)
        acks = 'sum(firebreak_incident_time_to_acknowledge_seconds_count{severity="critical"})'
        assert _value(prom, acks) == 2
        assert _value(prom, f"sum(increase({acks.removeprefix('sum(').removesuffix(')')}[5m]))") >= 1.5
        recorded = _value(prom, 'sum(firebreak_incident_time_to_acknowledge_seconds_sum{severity="critical"})')
        assert recorded == pytest.approx(sum(mtta), abs=0.5)
        # Seconds-level buckets: acknowledged within seconds reads as seconds, not as half of the first bucket.
        p50 = _value(prom, 'firebreak:incident_time_to_acknowledge_seconds:p50_1d{severity="critical"}')
        assert p50 <= 5

        for expr in _rule_exprs(tmp_path):
            _query(prom, expr)
        empty = []
        for panel, kind, expr in _dashboard_exprs():
            result = _query(prom, expr)
            if kind == "stat" and not result:
                empty.append(panel)
        assert not empty, f"stat panels with no data: {empty}"
        errors = _value(prom, next(e for p, _, e in _dashboard_exprs() if p.endswith(": API errors")))
        assert errors == 0
        intake = next(e for p, _, e in _dashboard_exprs() if "Alert intake" in p)
        assert _query(prom, intake)

        live = requests.get(f"{base}/metrics", timeout=10).text
        check = subprocess.run(["promtool", "check", "metrics"], input=live, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        for proc in (prom_proc, server):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=30)
