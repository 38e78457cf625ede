"""Shared set-up for notify's integration tests: receivers, the notify processes, events onto the bus."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests

from firebreak.devstack import wait_for
from firebreak.registry import definition
from firebreak.setup import declare_queues
from libs.common.config import Settings
from libs.common.envelope import Event
from tests.integration.helpers import bearer, query
from tests.integration.receivers import HttpReceiver, SmtpReceiver
from tests.integration.test_consumer import publish

README = Path(__file__).resolve().parents[2] / "services" / "notify" / "README.md"
FAST = {"FIREBREAK_NOTIFY_LEASE_SECONDS": "3", "FIREBREAK_NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "FIREBREAK_NOTIFY_RETRY_MAX_SECONDS": "0.5", "FIREBREAK_NOTIFY_MAX_ATTEMPTS": "3",
        "FIREBREAK_NOTIFY_TIMEOUT_SECONDS": "2", "FIREBREAK_SCHEDULER_IDLE_SECONDS": "0.1"}


def readme_verifier():
    """The signature check exactly as services/notify/README.md documents it."""
    text = README.read_text()
    code = re.search(r"<!-- signature-snippet -->\s*```python\n(.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)  # noqa: S102 - the documented snippet, run as written
    return scope["verify_firebreak_signature"]


@pytest.fixture(name="receivers")
def receivers_fixture():
    http, smtp = HttpReceiver(), SmtpReceiver()
    yield http, smtp
    http.close()
    smtp.close()


def start_notify(stack, smtp_url: str = "", kinds=("consumer", "scheduler"), **extra) -> str:
    """The notify api, then its other processes building ack links on that api's address."""
    declare(stack, "notify")
    api = stack.start_api("notify")
    env = {**FAST, "FIREBREAK_PUBLIC_URL": api, "FIREBREAK_SMTP_URL": smtp_url, **extra}
    for kind in kinds:
        stack.start("notify", kind, **env)
    return api


def declare(stack, service: str) -> None:
    """Declare the service's queue now, so events published before its consumer runs are kept."""
    declare_queues(definition(service), Settings.from_env(service, stack.service_env(service)))


def add_contact(api: str, user: str, *methods: dict, **extra) -> None:
    response = requests.post(f"{api}/v1/contacts", json={"user": user, "methods": list(methods), **extra},
                             headers=bearer("admin", "root"), timeout=10)
    assert response.status_code == 201, response.text


def incident_snapshot(incident_id: str | None = None, **changes) -> dict:
    data = {"id": incident_id or str(uuid.uuid4()), "reference": "INC-20260301-ABC123", "title": "Checkout down",
            "severity": "critical", "priority": "critical", "status": "new", "team": "sre", "private": False,
            "commander": "carol", "created_by": "alice", "created_at": "2026-03-01T10:00:00+00:00"}
    return {**data, **changes}


def step_fired(incident: dict, users: list[str], token: str = "v1", level: int = 1) -> Event:
    data = {"incident_id": incident["id"], "step": 0, "level": level, "team": "sre", "users": users,
            "token": token, "incident": {k: incident[k] for k in ("id", "reference", "title", "severity",
                                                                   "priority", "status", "team", "private")}}
    return Event(type="firebreak.escalation.step_fired.v1", source="/firebreak/escalation", data=data,
                 subject=incident["id"])


def created(incident: dict) -> Event:
    return Event(type="firebreak.incident.created.v1", source="/firebreak/incident", data=incident,
                 subject=incident["id"], sequence=1)


def send(stack, *events: Event) -> None:
    publish(stack.rabbitmq.url, *events)


def deliveries(stack, incident_id: str) -> list[tuple]:
    return query(stack.env["FIREBREAK_NOTIFY_DATABASE_URL"],
                 "SELECT recipient, method_kind, status, attempts, last_error FROM deliveries "
                 "WHERE incident_id = :i ORDER BY recipient, method_kind", i=incident_id)


def wait(predicate, stack, what: str, timeout: float = 25) -> None:
    wait_for(predicate, timeout=timeout, what=f"{what}\n{stack.logs()}")
