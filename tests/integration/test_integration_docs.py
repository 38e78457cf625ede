"""Every example on docs/integrations/ posted to a running `firebreak run`, as the sender would post it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import port_for
import pytest
import requests
import yaml

from firebreak.devstack import wait_for

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "integrations"
EXAMPLE = re.compile(r"<!-- example: (?P<what>[^>]*?) -->\s*```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)
# Datadog's template variables, as Datadog fills them in for a triggered monitor.
DATADOG_VALUES = {"$EVENT_MSG": "CPU > 90% on web-01", "$LAST_UPDATED": "1591216985000",
                  "$EVENT_TYPE": "query_alert_monitor", "$EVENT_TITLE": "[Triggered] [P1] High CPU on web-01",
                  "$DATE": "1591216985000", "$ORG_ID": "415600", "$ORG_NAME": "Acme", "$ID": "5485379890863845239",
                  "$ALERT_TRANSITION": "Triggered", "$ALERT_PRIORITY": "P1",
                  "$AGGREG_KEY": "9bd4ac313a4d1e8fae2482df7b77628", "$TAGS": "env:prod,service:web,team:sre"}


def examples(page: str) -> list[tuple[str, str, str]]:
    """(what, language, body) of each marked block on a page, in order."""
    found = [(m["what"].strip(), m["lang"], m["body"]) for m in EXAMPLE.finditer((DOCS / page).read_text())]
    assert found, f"{page} has no examples"
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    port = port_for.select_random()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREBREAK_", "AMQP_URL", "DATABASE_URL"))}
    env.update(FIREBREAK_PORT=str(port), FIREBREAK_DATA_DIR=str(tmp / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "firebreak", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="firebreak run")
        token = subprocess.run([sys.executable, "-m", "firebreak", "token", "--user", "ann", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        yield base, {"Authorization": f"Bearer {token}"}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)


def integration(server, kind: str, name: str) -> str:
    base, admin = server
    created = requests.post(f"{base}/v1/integrations", headers=admin, timeout=10, json={
        "name": name, "kind": kind, "default_team": "sre"})
    assert created.status_code == 201, created.text
    return created.json()["key"]


def test_alertmanager_receiver_and_payload(server):
    base, _ = server
    key = integration(server, "alertmanager", "docs-am")
    (_, _, config), (where, _, payload) = examples("alertmanager.md")
    [webhook] = yaml.safe_load(config)["receivers"][0]["webhook_configs"]
    auth = webhook["http_config"]["authorization"]
    assert auth["type"] == "Bearer" and auth["credentials"].startswith("fbk_")
    path = urlsplit(webhook["url"]).path
    assert where == f"post {path}"
    # As Alertmanager sends it: to the configured path, with the configured Authorization header.
    sent = requests.post(base + path, data=payload, timeout=10,
                         headers={"Authorization": f"{auth['type']} {key}", "Content-Type": "application/json"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["outcomes"] == ["new_incident"]


def test_grafana_contact_point_and_payload(server):
    base, _ = server
    key = integration(server, "grafana", "docs-grafana")
    (_, _, config), (where, _, payload) = examples("grafana.md")
    [receiver] = yaml.safe_load(config)["contactPoints"][0]["receivers"]
    settings = receiver["settings"]
    assert receiver["type"] == "webhook"
    path = urlsplit(settings["url"]).path
    assert where == f"post {path}"
    sent = requests.request(settings["httpMethod"], base + path, data=payload, timeout=10, headers={
        "Authorization": f"{settings['authorization_scheme']} {key}", "Content-Type": "application/json"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["outcomes"] == ["new_incident"]


def test_datadog_webhook_payload_with_its_variables_filled_in(server):
    base, _ = server
    key = integration(server, "datadog", "docs-datadog")
    (_, _, headers), (_, _, template) = examples("datadog.md")
    for variable, value in sorted(DATADOG_VALUES.items(), key=lambda kv: -len(kv[0])):
        template = template.replace(variable, value)
    assert "$" not in template
    header = {name: value.replace("fbk_YOUR_INTEGRATION_KEY", key) for name, value in json.loads(headers).items()}
    sent = requests.post(f"{base}/v1/alerts/datadog", data=template, timeout=10,
                         headers={**header, "Content-Type": "application/json"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["outcomes"] == ["new_incident"]


def test_pagerduty_events_and_change_events(server):
    base, admin = server
    key = integration(server, "pagerduty", "docs-pagerduty")
    posted = 0
    for where, _, body in examples("pagerduty.md"):
        verb, path = where.split(" ", 1)
        assert verb == "post"
        sent = requests.post(base + path, data=body.replace("YOUR_ROUTING_KEY", key), timeout=10,
                             headers={"Content-Type": "application/json"})
        assert sent.status_code == 202, sent.text
        assert sent.json()["status"] == "success"
        posted += 1
    assert posted == 2
    changes = requests.get(f"{base}/v1/changes", params={"team": "sre", "since": "2026-08-22T00:00:00Z"},
                           headers=admin, timeout=10).json()["items"]
    assert [c["summary"] for c in changes] == ["Deploy payments v42"]


def test_heartbeat_curl_commands(server):
    base, admin = server
    env = {**os.environ, "FIREBREAK_URL": base, "ADMIN_TOKEN": admin["Authorization"].removeprefix("Bearer ")}
    blocks = examples("heartbeats.md")
    assert [lang for _, lang, _ in blocks] == ["sh", "sh"]
    for _, _, script in blocks:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        if "ping_key" in answer:
            env["HEARTBEAT_KEY"] = answer["ping_key"]
    assert answer["status"] == "up"


def test_every_page_is_listed_in_the_index():
    index = (DOCS / "README.md").read_text()
    for page in DOCS.glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in index
