"""The real stack: a PostgreSQL and a RabbitMQ started for the test session, service processes per test."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
import requests

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, ServiceProcess, wait_for
from libs.common.config import SERVICES
from tests.conftest import SECRET

pytestmark = pytest.mark.integration


def reset_broker(rmq: LocalRabbitMQ) -> None:
    """Delete every service's queue and dead-letter queue so each test starts from an empty broker.

    Over AMQP, by name: each `rabbitmqctl` call boots an Erlang VM and costs about a second.
    """
    from kombu import Connection

    from libs.common.topology import dlq_name, queue_name

    with Connection(rmq.url) as conn:
        channel = conn.default_channel
        for service in SERVICES:
            channel.queue_delete(queue_name(service))
            channel.queue_delete(dlq_name(service))


_templates: dict[int, str] = {}


def migrated_template(postgres: LocalPostgres, env: dict[str, str]) -> str:
    """The prefix of databases migrated once per session; a test's databases are copies of them.

    `CREATE DATABASE … TEMPLATE` takes a fraction of a second, migrating five databases several.
    """
    if postgres.port not in _templates:
        import subprocess

        prefix = "template" + uuid.uuid4().hex[:8]
        template_env = dict(env)
        for service in SERVICES:
            template_env[f"FIREBREAK_{service.upper()}_DATABASE_URL"] = postgres.create_database(f"{prefix}_{service}")
        subprocess.run([sys.executable, "-m", "firebreak", "migrate", "--no-broker"], env=template_env, check=True,
                       capture_output=True)
        _templates[postgres.port] = prefix
    return _templates[postgres.port]


def copy_database(postgres: LocalPostgres, name: str, template: str) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return postgres.url(name)


class Stack:
    """Per-test databases on the session's PostgreSQL, the session's RabbitMQ, and service processes."""

    def __init__(self, postgres: LocalPostgres, rabbitmq: LocalRabbitMQ, tmp_path: Path):
        self.postgres, self.rabbitmq, self.tmp = postgres, rabbitmq, tmp_path
        prefix = "t" + uuid.uuid4().hex[:10]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "AMQP_URL": rabbitmq.url,
            "FIREBREAK_JWT_SECRET": SECRET,
            "FIREBREAK_DATA_DIR": str(tmp_path / "data"),
            "FIREBREAK_FAULT_DIR": str(tmp_path / "faults"),
            "FIREBREAK_LOG_LEVEL": "INFO",
            "FIREBREAK_WEB_WORKERS": "1",
            "FIREBREAK_RELAY_IDLE_SECONDS": "0.05",
            "FIREBREAK_DELIVERY_LIMIT": "3",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        template = migrated_template(postgres, self.env)
        for service in SERVICES:
            self.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"] = copy_database(
                postgres, f"{prefix}_{service}", f"{template}_{service}")
        self.processes: list[ServiceProcess] = []

    def service_env(self, service: str, **extra: str) -> dict[str, str]:
        env = dict(self.env)
        env["DATABASE_URL"] = env[f"FIREBREAK_{service.upper()}_DATABASE_URL"]
        env.update(extra)
        return env

    def migrate(self) -> None:
        """Declare every service's queues, as `firebreak migrate` does; the databases come migrated."""
        from kombu import Connection

        from firebreak.registry import definitions
        from libs.common.topology import declare

        with Connection(self.rabbitmq.url) as conn:
            for name, service in definitions().items():
                if service.catalog.consumes:
                    declare(conn.default_channel, name, sorted(service.catalog.consumes),
                            int(self.env["FIREBREAK_DELIVERY_LIMIT"]))

    def start(self, service: str, kind: str, **extra: str) -> ServiceProcess:
        proc = ServiceProcess(service, kind, self.service_env(service, **extra), self.tmp / "logs").start()
        self.processes.append(proc)
        return proc

    def start_api(self, service: str = "incident", **extra: str) -> str:
        port = str(__import__("port_for").select_random())
        proc = self.start(service, "api", FIREBREAK_PORT=port, **extra)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(url + "/healthz", timeout=1).ok, timeout=30, what=f"{service} api\n{proc.log()}")
        return url

    def wait_started(self, timeout: float = 60) -> None:
        """Wait until every worker process has logged that it started (processes of one kind share a log).

        Tests with second-level SLA targets need it: clocks start at the incident's created_at, and a
        scheduler still booting fires a warning so late that its breach is due too, which suppresses it.
        """
        workers = [p for p in self.processes if p.kind != "api"]
        wait_for(lambda: all(p.log().count('"message": "started"') >= sum(q.log_path == p.log_path for q in workers)
                             for p in workers), timeout=timeout, what="the workers to start")

    def stop_all(self, grace: float = 20.0) -> None:
        """SIGTERM every process at once, then wait: stopping them one by one adds up their shutdowns."""
        import subprocess
        import time

        alive = [p for p in self.processes if p.alive()]
        for proc in alive:
            try:
                os.killpg(proc.proc.pid, 15)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for proc in alive:
            try:
                proc.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill(9)

    def logs(self) -> str:
        return "\n".join(f"--- {p.service} {p.kind}\n{p.log()[-3000:]}" for p in self.processes)


@pytest.fixture
def stack(postgres, rabbitmq, tmp_path):
    reset_broker(rabbitmq)
    s = Stack(postgres, rabbitmq, tmp_path)
    s.migrate()
    yield s
    s.stop_all()


@pytest.fixture
def own_postgres():
    """A PostgreSQL of this test's own, so stopping or restarting it (`halt()`, `start()`) harms no other test."""
    pg = LocalPostgres().start()
    yield pg
    pg.stop()
