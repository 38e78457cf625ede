"""LISTEN/NOTIFY wake-ups on PostgreSQL: a commit moves an event or starts a job long before the poll interval.

Every loop here polls only every 30 s, so what arrives within the 10 s waits came by a wake-up.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Queue
from marshmallow import Schema, fields
from sqlalchemy import MetaData, func, select, text

from firebreak.devstack import wait_for
from libs.common.catalog import EventCatalog, EventSpec
from libs.common.config import Settings
from libs.common.jobs import Job, JobStore, JobWorker, define_jobs_table
from libs.common.relay import Relay
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from libs.common.topology import EVENTS
from libs.common.uow import UnitOfWork
from libs.common.wakeup import JOBS_CHANNEL, OUTBOX_CHANNEL, listener

pytestmark = pytest.mark.integration

PINGED = "firebreak.incident.pinged.v1"
POLL = "30"  # seconds: far longer than any wait below


class Pinged(Schema):
    n = fields.Integer(required=True)


def make_runtime(url: str, amqp_url: str, data_dir: Path, **extra: str) -> tuple[ServiceRuntime, JobStore]:
    metadata = MetaData()
    jobs = define_jobs_table(metadata)
    env = {"DATABASE_URL": url, "AMQP_URL": amqp_url, "FIREBREAK_DATA_DIR": str(data_dir),
           "FIREBREAK_JWT_SECRET": "s" * 40, "FIREBREAK_LOG_LEVEL": "WARNING", "FIREBREAK_RELAY_IDLE_SECONDS": POLL,
           "FIREBREAK_SCHEDULER_IDLE_SECONDS": POLL, "FIREBREAK_WAKEUP_POLL_SECONDS": POLL, **extra}
    catalog = EventCatalog("incident", publishes={PINGED: EventSpec(PINGED, Pinged, "A test event.")})
    runtime = ServiceRuntime.build(Settings.from_env("incident", env), metadata, define_bus_tables(metadata),
                                   catalog)
    metadata.create_all(runtime.engine)
    return runtime, JobStore(jobs)


def emit(runtime: ServiceRuntime, n: int, commit: bool = True) -> None:
    with UnitOfWork(runtime) as uow:
        uow.emit(PINGED, {"n": n}, subject=f"inc-{n}")
        uow.emit_many([(PINGED, {"n": n + 1000}, f"inc-{n}", None)])
        if commit:
            uow.commit()


def listening(runtime: ServiceRuntime, channel: str) -> bool:
    """Whether a listener of `channel` is connected to the runtime's database."""
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                            {"a": f"firebreak-listen-{channel}"}).scalar_one() > 0


def settle(runtime: ServiceRuntime, channel: str) -> None:
    """Wait for the loop's listener, then for the poll its connecting triggers to pass."""
    wait_for(lambda: listening(runtime, channel), timeout=30, what=f"a listener on {channel}")
    time.sleep(0.5)


class Sink:
    """A queue of our own bound to the test event, read with a timeout."""

    def __init__(self, amqp_url: str):
        self.conn = Connection(amqp_url)
        queue = Queue(f"wakeup-test-{uuid.uuid4().hex[:8]}", exchange=EVENTS, routing_key=PINGED, exclusive=True)
        self.queue = self.conn.SimpleQueue(queue)

    def next_n(self, timeout: float = 10) -> int:
        message = self.queue.get(timeout=timeout)
        message.ack()
        return message.payload["n"]

    def close(self) -> None:
        self.queue.close()
        self.conn.release()


class Running:
    """A loop (`run(stop)`) in a thread, stopped at the end."""

    def __init__(self, loop):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=loop, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


@pytest.fixture
def db_url(postgres):
    return postgres.create_database("wakeup_" + uuid.uuid4().hex[:10])


def test_a_commit_wakes_the_relay_and_a_rollback_publishes_nothing(db_url, rabbitmq, tmp_path):
    runtime, _ = make_runtime(db_url, rabbitmq.url, tmp_path)
    sink = Sink(rabbitmq.url)
    relay = Running(Relay(runtime).run)
    try:
        settle(runtime, OUTBOX_CHANNEL)
        emit(runtime, 1, commit=False)
        emit(runtime, 2)
        assert sorted([sink.next_n(), sink.next_n()]) == [2, 1002]
        emit(runtime, 3)  # and the relay, idle again, wakes again
        assert sorted([sink.next_n(), sink.next_n()]) == [3, 1003]
        with runtime.engine.connect() as conn:
            outbox = runtime.tables.outbox
            assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 4  # nothing of n=1
    finally:
        relay.close()
        sink.close()
        runtime.dispose()


def test_a_rolled_back_transaction_notifies_nobody(db_url, rabbitmq, tmp_path):
    runtime, _ = make_runtime(db_url, rabbitmq.url, tmp_path)
    wakeup = listener(runtime.engine, OUTBOX_CHANNEL)
    stop = threading.Event()
    try:
        assert wakeup.wait(stop, 1, 1) is True  # connected: the caller would poll now
        emit(runtime, 1, commit=False)
        assert wakeup.wait(stop, 1, 1) is False
        emit(runtime, 2)
        emit(runtime, 3)
        assert wakeup.wait(stop, 10, 10) is True
        assert wakeup.wait(stop, 0.5, 0.5) is False  # both commits drained by one wake-up
    finally:
        wakeup.close()
        runtime.dispose()


def test_an_enqueued_job_wakes_the_job_worker(db_url, rabbitmq, tmp_path):
    runtime, store = make_runtime(db_url, rabbitmq.url, tmp_path)
    done = threading.Event()

    def perform(job: Job) -> dict:
        done.set()
        return {"ok": True}

    worker = JobWorker(runtime, store.table, {"webhook": perform}, idle_seconds=float(POLL))
    running = Running(worker.run)
    try:
        settle(runtime, JOBS_CHANNEL)
        with runtime.session_factory() as session, session.begin():
            assert store.enqueue(session, "webhook", "page-1", {"url": "http://127.0.0.1:9/"})
        assert done.wait(10), "the job was not started by a wake-up"
    finally:
        running.close()
        runtime.dispose()


def retry_emit(runtime: ServiceRuntime, n: int) -> None:
    """Emit once the database takes writes again (the pool may hold connections from before the restart)."""
    def attempt() -> bool:
        try:
            emit(runtime, n)
            return True
        except Exception:  # noqa: BLE001 - not back yet
            return False
    wait_for(attempt, timeout=60, what="the database to take writes again")


def test_the_relay_listener_survives_a_database_restart(own_postgres, rabbitmq, tmp_path):
    url = own_postgres.create_database("wakeup_restart")
    # While the listener is away the relay polls every 0.5 s; listening, it polls every 30 s.
    runtime, _ = make_runtime(url, rabbitmq.url, tmp_path, FIREBREAK_RELAY_IDLE_SECONDS="0.5")
    sink = Sink(rabbitmq.url)
    relay = Running(Relay(runtime).run)
    try:
        settle(runtime, OUTBOX_CHANNEL)
        emit(runtime, 1)
        assert sorted([sink.next_n(), sink.next_n()]) == [1, 1001]

        # The listener's backend is killed while the database stays up: events still move.
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                              ":a"), {"a": f"firebreak-listen-{OUTBOX_CHANNEL}"})
        emit(runtime, 2)
        assert sorted([sink.next_n(), sink.next_n()]) == [2, 1002]

        own_postgres.halt()
        own_postgres.start()
        retry_emit(runtime, 3)  # moved by polling or by the listener reconnecting, whichever comes first
        assert sorted([sink.next_n(60), sink.next_n()]) == [3, 1003]

        settle(runtime, OUTBOX_CHANNEL)  # wake-ups resume once the listener is back
        emit(runtime, 4)
        assert sorted([sink.next_n(), sink.next_n()]) == [4, 1004]
    finally:
        relay.close()
        sink.close()
        runtime.dispose()
