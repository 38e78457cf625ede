"""Wake-ups without PostgreSQL: SQLite polls as before, a lost listener falls back to polling and comes back."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import MetaData, create_engine, create_mock_engine, text
from sqlalchemy.orm import Session

from libs.common.catalog import EventCatalog
from libs.common.config import Settings
from libs.common.relay import Relay
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from libs.common.wakeup import OUTBOX_CHANNEL, Wakeup, coalesce_delay, listener


class FakeListenConnection:
    """A socket pair stands in for the server: a byte sent on `server` is a notification arriving."""

    def __init__(self):
        self.server, self.client = socket.socketpair()
        self.statements: list[str] = []

    def execute(self, statement: str) -> None:
        self.statements.append(statement)

    def fileno(self) -> int:
        return self.client.fileno()

    def notifies(self, timeout: float = 0):
        self.client.setblocking(False)
        try:
            data = self.client.recv(4096)
        except BlockingIOError:
            return
        if not data:
            raise OSError("server closed the connection")
        yield from (f"notify {n}" for n in range(len(data)))

    def close(self) -> None:
        self.client.close()
        self.server.close()


def test_sqlite_gets_a_polling_wakeup_that_sleeps_the_fallback():
    wakeup = listener(create_engine("sqlite://"), OUTBOX_CHANNEL)
    assert wakeup.wait(threading.Event(), timeout=30, fallback=0.05) is False
    assert not wakeup.listening


def test_a_set_stop_event_ends_the_wait():
    stop = threading.Event()
    stop.set()
    assert Wakeup(OUTBOX_CHANNEL).wait(stop, timeout=30, fallback=30) is False


def test_the_outbox_notify_trigger_is_made_on_postgresql_only():
    metadata = MetaData()
    define_bus_tables(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)  # SQLite: the tables, no trigger (its relays poll)
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar_one() == 0
    emitted: list[str] = []
    postgres = create_mock_engine("postgresql+psycopg://", lambda sql, *a, **k: emitted.append(str(sql)))
    metadata.create_all(postgres, checkfirst=False)
    assert any("CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT" in s for s in emitted)
    assert any("pg_notify('firebreak_outbox', '')" in s for s in emitted)


def test_a_channel_must_be_a_plain_identifier():
    with pytest.raises(ValueError):
        Wakeup("outbox; DROP TABLE outbox")


def test_notifications_wake_the_wait_and_a_burst_is_drained_at_once():
    conn = FakeListenConnection()
    wakeup = Wakeup(OUTBOX_CHANNEL, lambda: conn)
    stop = threading.Event()
    assert wakeup.wait(stop, timeout=30, fallback=30) is True  # connecting: the caller polls once
    assert conn.statements == [f"LISTEN {OUTBOX_CHANNEL}"]
    conn.server.send(b"abc")  # three commits while the caller was busy
    assert wakeup.wait(stop, timeout=30, fallback=30) is True
    assert wakeup.wait(stop, timeout=0.05, fallback=0.05) is False  # coalesced: no wake-up left over
    wakeup.close()


def test_a_wake_soon_after_the_last_waits_out_the_spacing_and_an_idle_loop_does_not():
    assert coalesce_delay(5.0, spacing=0.02) == 0  # low rate: answered at once
    assert coalesce_delay(0.02, spacing=0.02) == 0
    assert coalesce_delay(0.015, spacing=0.02) == pytest.approx(0.005)
    assert coalesce_delay(0.0, spacing=0.02) == 0.02
    assert coalesce_delay(-1.0, spacing=0.02) == 0.02  # bounded by the spacing


def test_commits_during_the_coalescing_wait_share_the_cycle():
    conn = FakeListenConnection()
    wakeup = Wakeup(OUTBOX_CHANNEL, lambda: conn, spacing=1.0)
    stop = threading.Event()
    assert wakeup.wait(stop, timeout=30, fallback=30) is True  # connecting
    conn.server.send(b"a")
    assert wakeup.wait(stop, timeout=30, fallback=30) is True  # the first wake: no wait
    conn.server.send(b"b")
    later = threading.Timer(0.05, conn.server.send, args=(b"c",))  # committed while the wake waits
    later.start()
    assert wakeup.wait(stop, timeout=30, fallback=30) is True
    later.join()
    assert wakeup.wait(stop, timeout=0.05, fallback=0.05) is False  # "c" was drained with "b"
    wakeup.close()


def test_a_stop_during_the_coalescing_wait_ends_it():
    conn = FakeListenConnection()
    wakeup = Wakeup(OUTBOX_CHANNEL, lambda: conn, spacing=600.0)
    stop = threading.Event()
    wakeup.wait(stop, timeout=30, fallback=30)
    conn.server.send(b"a")
    wakeup.wait(stop, timeout=30, fallback=30)
    conn.server.send(b"b")
    threading.Timer(0.05, stop.set).start()
    assert wakeup.wait(stop, timeout=30, fallback=30) is True  # returns, the caller sees the stop
    wakeup.close()


def test_a_lost_listener_polls_then_reconnects_and_wakes_the_caller():
    attempts: list[FakeListenConnection | None] = []
    failing = threading.Event()
    failing.set()

    def connect():
        if failing.is_set():
            attempts.append(None)
            raise OSError("connection refused")
        attempts.append(FakeListenConnection())
        return attempts[-1]

    wakeup = Wakeup(OUTBOX_CHANNEL, connect, retry_seconds=0.05)
    stop = threading.Event()
    # The database is away: each wait is a poll of at most `fallback` seconds, however long the timeout.
    assert wakeup.wait(stop, timeout=30, fallback=0.02) is False
    assert not wakeup.listening
    failing.clear()
    assert wakeup.wait(stop, timeout=30, fallback=1) is True  # back: the caller polls what was missed
    assert wakeup.listening
    attempts[-1].server.close()  # the server goes away mid-wait
    assert wakeup.wait(stop, timeout=30, fallback=30) is False
    assert not wakeup.listening
    assert wakeup.wait(stop, timeout=30, fallback=30) is True
    assert wakeup.listening
    wakeup.close()


def test_relay_idle_wait_is_short_enough_for_amqp_heartbeats(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "FIREBREAK_DATA_DIR": str(tmp_path),
           "FIREBREAK_JWT_SECRET": "s" * 40, "FIREBREAK_WAKEUP_POLL_SECONDS": "30", "FIREBREAK_AMQP_HEARTBEAT": "10"}
    metadata = MetaData()
    runtime = ServiceRuntime.build(Settings.from_env("incident", env), metadata, define_bus_tables(metadata),
                                   EventCatalog("incident"))
    relay = Relay(runtime)
    assert relay.idle_wait(confirms=True) == 5
    assert relay.idle_wait(confirms=False) == 30
    runtime.dispose()


def test_wakeups_can_be_switched_off(tmp_path):
    env = {"FIREBREAK_DATA_DIR": str(tmp_path), "FIREBREAK_JWT_SECRET": "s" * 40, "FIREBREAK_WAKEUPS": "off"}
    assert Settings.from_env("incident", env).wakeups is False
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    wakeup = listener(engine, OUTBOX_CHANNEL, enabled=False)
    assert wakeup.wait(threading.Event(), timeout=30, fallback=0.01) is False
    assert not wakeup.listening
