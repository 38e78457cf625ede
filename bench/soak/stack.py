"""The soak's platform: devstack's Topology on a PostgreSQL and a RabbitMQ of its own, and the faults it takes."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import psycopg
from kombu import Connection, Queue, binding

from firebreak.devstack import LocalPostgres, LocalRabbitMQ, ServiceProcess, wait_for
from firebreak.topology import Topology
from libs.common.topology import EVENTS, dlq_name, queue_name

JWT_SECRET = "soak-secret-" + "x" * 40
WATCH_QUEUE = "soak.sla-announcements"
WATCHED = ("firebreak.sla.warning.v1", "firebreak.sla.breached.v1", "firebreak.sla.met.v1")


class SoakStack:
    """PostgreSQL, RabbitMQ and every process of every service (the `make up` topology), in a temporary directory."""

    def __init__(self, lease_seconds: int):
        self.base = Path(tempfile.mkdtemp(prefix="firebreak-soak-"))
        self.base.chmod(0o755)  # PostgreSQL runs as `postgres` under root and must reach its directory
        # A base of its own (not a temporary LocalPostgres) so a restart keeps the cluster.
        self.pg = LocalPostgres(self.base / "postgres")
        self.rmq = LocalRabbitMQ(self.base / "rabbitmq")
        self.lease_seconds = lease_seconds
        self.topology: Topology | None = None

    def start(self) -> SoakStack:
        self.pg.start()
        self.rmq.start()
        self._watch_sla()
        one_worker = {"FIREBREAK_WEB_WORKERS": "1"}
        self.topology = Topology(
            self.pg, self.rmq, self.base / "platform", first_port=None,
            env={"FIREBREAK_JWT_SECRET": JWT_SECRET, "FIREBREAK_LOG_LEVEL": "INFO"},
            service_env={"sla": one_worker, "escalation": one_worker, "postmortem": one_worker,
                         "notify": {**one_worker, "FIREBREAK_NOTIFY_LEASE_SECONDS": str(self.lease_seconds)}},
            db_prefix="soak").start()
        return self

    @property
    def urls(self) -> dict[str, str]:
        return self.topology.urls

    @property
    def processes(self) -> list[ServiceProcess]:
        return self.topology.processes

    def stop(self) -> None:
        if self.topology is not None:
            self.topology.stop()
        self.rmq.stop()
        self.pg.stop()
        # The servers' data goes; the processes' logs stay for a look (base/platform/logs).
        shutil.rmtree(self.base / "postgres", ignore_errors=True)
        shutil.rmtree(self.base / "rabbitmq", ignore_errors=True)

    def database(self, service: str) -> str:
        return f"{self.topology.db_prefix}_{service}"

    # -- faults ------------------------------------------------------------------------------
    def kill_and_restart(self, proc: ServiceProcess, down_seconds: float) -> None:
        """SIGKILL the process group (gunicorn's master and workers alike), wait, start it again."""
        proc.kill(9)
        time.sleep(down_seconds)
        proc.start()

    def restart_rabbitmq(self, down_seconds: float = 2.0) -> None:
        self.rmq.stop()
        time.sleep(down_seconds)
        self.rmq.start()

    def restart_postgres(self, down_seconds: float = 2.0) -> None:
        self.pg.halt()
        time.sleep(down_seconds)
        self.pg.start()

    def database_outage(self, service: str, seconds: float) -> None:
        """No connection to one service's database for `seconds`: refuse new ones, end those open."""
        name = self.database(service)
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            time.sleep(seconds)
        finally:
            with self._admin() as conn:
                conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    # -- reading state -------------------------------------------------------------------------
    def _admin(self, database: str = "postgres"):
        return psycopg.connect(f"host=127.0.0.1 port={self.pg.port} user=postgres dbname={database}",
                               autocommit=True, connect_timeout=10)

    def scalar(self, service: str, sql: str, *params):
        with self._admin(self.database(service)) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def has_table(self, service: str, table: str) -> bool:
        return bool(self.scalar(service, "SELECT to_regclass(%s) IS NOT NULL", table))

    def unsent_outbox(self) -> dict[str, int]:
        return {s: self.scalar(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                for s in self.topology.definitions}

    def unfinished_jobs(self) -> dict[str, int]:
        """Jobs neither succeeded, dead nor cancelled, in every service that has a jobs table."""
        return {s: self.scalar(s, "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'dead', 'cancelled')")
                for s in self.topology.definitions if self.has_table(s, "jobs")}

    def dead_jobs(self) -> dict[str, int]:
        return {s: self.scalar(s, "SELECT count(*) FROM jobs WHERE status = 'dead'")
                for s in self.topology.definitions if self.has_table(s, "jobs")}

    def overdue_timers(self) -> dict[str, int]:
        return {s: self.scalar(s, "SELECT count(*) FROM timers WHERE due_at < now() - interval '2 seconds'")
                for s in self.topology.definitions}

    def queue_depths(self) -> dict[str, int]:
        """Messages (ready and unacked) in each service's work queue and dead-letter queue."""
        depths = {}
        for line in self.rmq.ctl("list_queues", "name", "messages", "--quiet").splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[1].strip().isdigit():
                depths[parts[0].strip()] = int(parts[1])
        names = [n for s in self.topology.definitions for n in (queue_name(s), dlq_name(s))]
        return {n: depths.get(n, 0) for n in names}

    # -- the SLA announcements, as published ------------------------------------------------------
    def _watch_sla(self) -> None:
        """A quorum queue of the soak's own bound to the SLA announcements, declared before anything publishes."""
        with Connection(self.rmq.url) as conn:
            channel = conn.channel()
            EVENTS(channel).declare()
            self._watch_queue()(channel).declare()

    @staticmethod
    def _watch_queue() -> Queue:
        return Queue(WATCH_QUEUE, bindings=[binding(EVENTS, routing_key=t) for t in WATCHED], durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def drain_sla_announcements(self) -> list[dict]:
        """Every SLA announcement the relays published, redeliveries included: ce-id, type and data."""
        import json

        seen = []
        with Connection(self.rmq.url) as conn:
            channel = conn.channel()
            while True:
                message = channel.basic_get(WATCH_QUEUE, no_ack=False)
                if message is None:
                    break
                headers = dict(message.headers or {})
                seen.append({"id": headers.get("ce-id"), "type": headers.get("ce-type"),
                             "data": json.loads(message.body)})
                channel.basic_ack(message.delivery_tag)
        return seen


def wait_quiet(stack: SoakStack, timeout: float, say) -> dict:
    """Wait until outboxes are sent, jobs finished and work queues empty (checked twice, 5 s apart)."""
    def settled():
        state = {"outbox": stack.unsent_outbox(), "jobs": stack.unfinished_jobs(), "queues": stack.queue_depths(),
                 "timers": stack.overdue_timers()}
        busy = (sum(state["outbox"].values()) + sum(state["jobs"].values()) + sum(state["timers"].values())
                + sum(v for k, v in state["queues"].items() if not k.endswith(".dlq")))
        return state if busy == 0 else None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if settled():
                time.sleep(5)
                state = settled()
                if state:
                    return state
        except Exception as exc:  # noqa: BLE001 - keep waiting through a broker or database blip
            say(f"waiting for quiescence: {exc!r}")
        time.sleep(2)
    return {"outbox": stack.unsent_outbox(), "jobs": stack.unfinished_jobs(), "queues": stack.queue_depths(),
            "timers": stack.overdue_timers(), "timed_out": True}


__all__ = ["SoakStack", "wait_for", "wait_quiet"]
