"""The clock seam: a fake clock drives the scheduler, its retries and the unit of work's after-commit hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import MetaData

from libs.common.catalog import EventCatalog
from libs.common.clock import FakeClock, SystemClock
from libs.common.config import Settings
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from libs.common.timers import Scheduler, TimerStore
from libs.common.uow import UnitOfWork

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_runtime(base_env, clock) -> ServiceRuntime:
    metadata = MetaData()
    tables = define_bus_tables(metadata)
    runtime = ServiceRuntime.build(Settings.from_env("sla", base_env), metadata, tables, EventCatalog("sla"), clock)
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    metadata.create_all(runtime.engine)
    return runtime


def schedule(runtime, kind: str, key: str, due_at: datetime, payload: dict | None = None) -> None:
    with runtime.session_factory() as s, s.begin():
        TimerStore(runtime.tables.timers).schedule(s, kind, key, due_at, payload or {})


def rows(runtime) -> list[dict]:
    with runtime.session_factory() as s:
        return [dict(r) for r in s.execute(runtime.tables.timers.select()).mappings()]


def test_fake_clock_moves_only_when_told():
    clock = FakeClock(START)
    assert clock.now() == clock.now() == START
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.advance(timedelta(minutes=1))
    assert clock.now() == START + timedelta(seconds=150)
    clock.set(START - timedelta(days=1))
    assert clock.now() == START - timedelta(days=1)
    clock.set(datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == START and clock.now().tzinfo == UTC
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 3, 1))


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo == UTC
    assert abs((datetime.now(UTC) - now).total_seconds()) < 60


def test_runtime_and_unit_of_work_share_the_injected_clock(base_env):
    clock = FakeClock(START)
    runtime = make_runtime(base_env, clock)
    assert runtime.clock is clock and UnitOfWork(runtime).clock is clock
    assert isinstance(make_runtime(base_env | {"FIREBREAK_DATA_DIR": base_env["FIREBREAK_DATA_DIR"] + "2"},
                                   None).clock, SystemClock)


def test_scheduler_fires_what_is_due_by_the_fake_clock(base_env):
    clock = FakeClock(START)
    runtime = make_runtime(base_env, clock)
    schedule(runtime, "k", "soon", START + timedelta(seconds=30), {"n": 1})
    schedule(runtime, "k", "later", START + timedelta(minutes=5), {"n": 2})
    fired = []
    scheduler = Scheduler(runtime, {"k": lambda uow, t: fired.append((t.payload["n"], uow.clock.now()))})
    assert scheduler.run_once() == 0
    assert scheduler.idle_for() == min(30.0, runtime.settings.scheduler_idle_seconds)
    clock.advance(30)
    assert scheduler.run_once() == 1
    clock.advance(timedelta(minutes=10))
    assert scheduler.run_once() == 1
    assert fired == [(1, START + timedelta(seconds=30)), (2, START + timedelta(seconds=630))]
    assert rows(runtime) == []


def test_a_failing_timer_is_retried_with_backoff_on_the_fake_clock(base_env):
    clock = FakeClock(START)
    runtime = make_runtime(base_env, clock)
    schedule(runtime, "flaky", "k", START)
    calls = []

    def flaky(uow, timer):
        calls.append(timer.attempts)
        if len(calls) < 3:
            raise RuntimeError("receiver down")

    scheduler = Scheduler(runtime, {"flaky": flaky})
    assert scheduler.run_once() == 1
    [row] = rows(runtime)
    assert row["attempts"] == 1 and "receiver down" in row["last_error"]
    assert row["due_at"].replace(tzinfo=UTC) == START + timedelta(seconds=1)
    assert scheduler.run_once() == 0  # not due again until the clock moves
    clock.advance(1)
    assert scheduler.run_once() == 1
    [row] = rows(runtime)
    assert row["attempts"] == 2 and row["due_at"].replace(tzinfo=UTC) == START + timedelta(seconds=3)
    clock.advance(2)
    assert scheduler.run_once() == 1
    assert calls == [0, 1, 2] and rows(runtime) == []


def test_batch_handlers_fire_set_wise_and_single_kinds_one_by_one(base_env):
    clock = FakeClock(START)
    runtime = make_runtime(base_env, clock)
    for i in range(3):
        schedule(runtime, "b", f"b{i}", START - timedelta(seconds=10 - i), {"n": i})
    schedule(runtime, "s", "s0", START, {"n": 9})
    batches, singles = [], []
    scheduler = Scheduler(runtime, {"s": lambda uow, t: singles.append(t.payload["n"])},
                          batch_handlers={"b": lambda uow, ts: batches.append([t.payload["n"] for t in ts])})
    assert scheduler.run_once() == 4
    assert batches == [[0, 1, 2]] and singles == [9]
    assert rows(runtime) == []


def test_a_failing_batch_retries_only_the_bad_timer(base_env):
    clock = FakeClock(START)
    runtime = make_runtime(base_env, clock)
    for i in range(3):
        schedule(runtime, "b", f"b{i}", START, {"n": i})
    calls = []

    def batch(uow, timers):
        calls.append([t.payload["n"] for t in timers])
        if any(t.payload["n"] == 1 for t in timers):
            raise ValueError("bad timer")

    scheduler = Scheduler(runtime, {}, batch_handlers={"b": batch})
    assert scheduler.run_once() == 3
    assert calls[0] == [0, 1, 2] and sorted(calls[1:]) == [[0], [1], [2]]
    [row] = rows(runtime)
    assert row["key"] == "b1" and row["attempts"] == 1 and "bad timer" in row["last_error"]
    assert row["due_at"].replace(tzinfo=UTC) == START + timedelta(seconds=1)


def test_on_commit_runs_after_commit_and_is_dropped_on_rollback(base_env):
    runtime = make_runtime(base_env, FakeClock(START))
    done = []
    with UnitOfWork(runtime) as uow:
        uow.on_commit(lambda: done.append("rolled back"))
    with UnitOfWork(runtime) as uow:
        uow.on_commit(lambda: done.append("committed"))
        assert done == []
        uow.commit()
    assert done == ["committed"]


def test_emit_many_validates_every_event_then_writes_them_in_one_insert(base_env):
    from marshmallow import Schema, fields

    from libs.common.catalog import EventDataError, EventSpec, publishes

    class Data(Schema):
        n = fields.Integer(required=True)

    runtime = make_runtime(base_env, FakeClock(START))
    runtime.catalog = EventCatalog("sla", publishes=publishes(EventSpec("firebreak.sla.tested.v1", Data, "A test.")))
    with UnitOfWork(runtime) as uow:
        with pytest.raises(EventDataError):
            uow.emit_many([("firebreak.sla.tested.v1", {"n": 1}, "i-1", 1),
                           ("firebreak.sla.tested.v1", {"n": 2, "extra": True}, "i-1", 2)])
        events = uow.emit_many([("firebreak.sla.tested.v1", {"n": i}, "i-1", i) for i in (1, 2)])
        uow.commit()
    assert [e.sequence for e in events] == [1, 2]
    with runtime.session_factory() as s:
        written = s.execute(runtime.tables.outbox.select().order_by(runtime.tables.outbox.c.id)).mappings().all()
    assert [r["event_id"] for r in written] == [e.id for e in events]
