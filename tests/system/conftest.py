"""The whole platform as `make up` runs it (firebreak.topology.Topology), started once for the module, on the
session's PostgreSQL and RabbitMQ, with an SMTP server and an HTTP receiver standing in for people."""

from __future__ import annotations

import uuid

import pytest

from firebreak.topology import Topology
from tests.conftest import SECRET
from tests.integration.conftest import reset_broker
from tests.integration.receivers import HttpReceiver, SmtpReceiver
from tests.system.client import Platform

# Small intervals so a step or retry due in seconds fires promptly; one web worker per api for 2 cores.
ENV = {"FIREBREAK_JWT_SECRET": SECRET, "FIREBREAK_LOG_LEVEL": "INFO", "FIREBREAK_WEB_WORKERS": "1",
       "FIREBREAK_RELAY_IDLE_SECONDS": "0.05", "FIREBREAK_SCHEDULER_IDLE_SECONDS": "0.1",
       "FIREBREAK_DELIVERY_LIMIT": "3"}
NOTIFY = {"FIREBREAK_NOTIFY_LEASE_SECONDS": "3", "FIREBREAK_NOTIFY_RETRY_BASE_SECONDS": "0.2",
          "FIREBREAK_NOTIFY_RETRY_MAX_SECONDS": "0.5", "FIREBREAK_NOTIFY_TIMEOUT_SECONDS": "2"}


@pytest.fixture(scope="module")
def receivers():
    http, smtp = HttpReceiver(), SmtpReceiver()
    yield http, smtp
    http.close()
    smtp.close()


@pytest.fixture(scope="module")
def platform(postgres, rabbitmq, receivers, tmp_path_factory):
    """Every process of every service, started once: each test uses its own team, users and integration."""
    reset_broker(rabbitmq)
    http, smtp = receivers
    topology = Topology(postgres, rabbitmq, tmp_path_factory.mktemp("system"), first_port=None, env=ENV,
                        service_env={"notify": {**NOTIFY, "FIREBREAK_SMTP_URL": smtp.url}},
                        db_prefix="s" + uuid.uuid4().hex[:8])
    topology.start()
    try:
        yield Platform(topology, http, smtp)
    finally:
        topology.stop()
