"""Durable timers on PostgreSQL: shared by several schedulers, each fired once, none lost to a crash."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from firebreak.devstack import wait_for
from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.envelope import utcnow
from libs.common.timers import Scheduler, TimerStore
from tests.integration.helpers import query

N = 600


def record(uow, timer):
    uow.session.execute(text("INSERT INTO fired (key, due_at, fired_at, pid) VALUES (:k, :d, now(), :p)"),
                        {"k": timer.key, "d": timer.due_at, "p": os.getpid()})


def scheduler_process(env: dict, stop_after: float) -> None:
    runtime = definition("sla").runtime(env)
    stop = threading.Event()
    threading.Timer(stop_after, stop.set).start()
    Scheduler(runtime, {"test": record}).run(stop)


@pytest.fixture
def sla_env(stack):
    env = stack.service_env("sla", FIREBREAK_SCHEDULER_BATCH="50", FIREBREAK_LOG_LEVEL="WARNING")
    runtime = definition("sla").runtime(env)
    migrate_database(definition("sla"), runtime.settings)
    with runtime.engine.begin() as conn:
        conn.execute(text("CREATE TABLE fired (key text, due_at timestamptz, fired_at timestamptz, pid int)"))
        store = TimerStore(runtime.tables.timers)
        start = utcnow() + timedelta(seconds=1)
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            for i in range(N):
                store.schedule(session, "test", f"t{i}", start + timedelta(milliseconds=5 * i), {"i": i})
            session.flush()
    runtime.dispose()
    return env


def fired(env) -> list:
    return query(env["DATABASE_URL"], "SELECT key, count(*) FROM fired GROUP BY key")


def test_two_schedulers_fire_each_timer_exactly_once(sla_env):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=scheduler_process, args=(sla_env, 8.0)) for _ in range(2)]
    for p in procs:
        p.start()
    wait_for(lambda: len(fired(sla_env)) == N, timeout=30, what="all timers fired")
    for p in procs:
        p.join(20)
    rows = fired(sla_env)
    assert len(rows) == N
    assert all(c == 1 for _, c in rows)
    assert query(sla_env["DATABASE_URL"], "SELECT count(*) FROM timers")[0][0] == 0
    pids = query(sla_env["DATABASE_URL"], "SELECT count(DISTINCT pid) FROM fired")[0][0]
    assert pids == 2  # the work really was shared


def test_killing_one_scheduler_mid_run_misses_nothing(sla_env):
    ctx = multiprocessing.get_context("spawn")
    victim = ctx.Process(target=scheduler_process, args=(sla_env, 60.0))
    survivor = ctx.Process(target=scheduler_process, args=(sla_env, 10.0))
    victim.start()
    survivor.start()
    wait_for(lambda: len(fired(sla_env)) > N // 4, timeout=30, what="timers firing")
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(5)
    wait_for(lambda: len(fired(sla_env)) == N, timeout=30, what="survivor to fire the rest")
    survivor.join(25)
    rows = fired(sla_env)
    assert len(rows) == N and all(c == 1 for _, c in rows)


def test_failing_timer_is_retried_later_with_error_kept(stack):
    env = stack.service_env("sla", FIREBREAK_LOG_LEVEL="WARNING")
    runtime = definition("sla").runtime(env)
    calls = []

    def flaky(uow, timer):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("smtp down")

    store = TimerStore(runtime.tables.timers)
    with runtime.session_factory() as session, session.begin():
        store.schedule(session, "flaky", "k", utcnow(), {})
    scheduler = Scheduler(runtime, {"flaky": flaky})
    assert scheduler.run_once() == 1
    row = query(env["DATABASE_URL"], "SELECT attempts, last_error, due_at > now() FROM timers")[0]
    assert row[0] == 1 and "smtp down" in row[1] and row[2]
    assert scheduler.run_once(now=utcnow() + timedelta(seconds=5)) == 1
    assert query(env["DATABASE_URL"], "SELECT count(*) FROM timers")[0][0] == 0
    assert len(calls) == 2
    runtime.dispose()
