"""The timer store on SQLite (the embedded single-process path)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import MetaData

from libs.common.catalog import EventCatalog
from libs.common.config import Settings
from libs.common.envelope import utcnow
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from libs.common.timers import Scheduler, TimerStore


def make_runtime(base_env) -> ServiceRuntime:
    metadata = MetaData()
    tables = define_bus_tables(metadata)
    runtime = ServiceRuntime.build(Settings.from_env("sla", base_env), metadata, tables, EventCatalog("sla"))
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    metadata.create_all(runtime.engine)
    return runtime


def test_due_timers_fire_once_in_due_order_and_future_ones_wait(base_env):
    runtime = make_runtime(base_env)
    store = TimerStore(runtime.tables.timers)
    now = utcnow()
    with runtime.session_factory() as s, s.begin():
        store.schedule(s, "k", "late", now - timedelta(seconds=1), {"n": 2})
        store.schedule(s, "k", "early", now - timedelta(seconds=5), {"n": 1})
        store.schedule(s, "k", "future", now + timedelta(hours=1), {"n": 3})
    fired = []
    scheduler = Scheduler(runtime, {"k": lambda uow, t: fired.append(t.payload["n"])})
    assert scheduler.run_once(now) == 2
    assert scheduler.run_once(now) == 0
    assert fired == [1, 2]
    assert 0 < scheduler.idle_for() <= runtime.settings.scheduler_idle_seconds


def test_rescheduling_a_key_replaces_it_and_cancel_removes_it(base_env):
    runtime = make_runtime(base_env)
    store = TimerStore(runtime.tables.timers)
    now = utcnow()
    with runtime.session_factory() as s, s.begin():
        store.schedule(s, "ack", "inc-1", now + timedelta(minutes=5), {"step": 1})
        store.schedule(s, "ack", "inc-1", now + timedelta(minutes=10), {"step": 2})
        store.schedule(s, "ack", "inc-2", now, {"step": 1})
        assert store.pending(s) == 2
        assert store.cancel(s, "ack", "inc-2")
        assert not store.cancel(s, "ack", "inc-2")
        assert store.pending(s) == 1
        assert store.next_due(s) == now + timedelta(minutes=10)


def test_timer_without_handler_is_kept_and_retried(base_env):
    runtime = make_runtime(base_env)
    store = TimerStore(runtime.tables.timers)
    with runtime.session_factory() as s, s.begin():
        store.schedule(s, "unknown", "x", utcnow(), {})
    assert Scheduler(runtime, {}).run_once() == 1
    with runtime.session_factory() as s:
        assert store.pending(s) == 1
        row = s.execute(runtime.tables.timers.select()).mappings().one()
    assert row["attempts"] == 1 and "no handler" in row["last_error"]


def test_a_handler_may_schedule_its_own_key_again(base_env):
    """A chain's next step reuses the firing timer's key; the new row must survive the firing one's removal."""
    runtime = make_runtime(base_env)
    store = TimerStore(runtime.tables.timers)
    now = utcnow()
    with runtime.session_factory() as s, s.begin():
        store.schedule(s, "step", "chain-1", now - timedelta(seconds=1), {"step": 1})

    def next_step(uow, timer):
        store.schedule(uow.session, "step", timer.key, now + timedelta(minutes=5), {"step": timer.payload["step"] + 1})

    def next_steps(uow, timers):
        for timer in timers:
            next_step(uow, timer)

    for scheduler in (Scheduler(runtime, {"step": next_step}),
                      Scheduler(runtime, {}, batch_handlers={"step": next_steps})):
        assert scheduler.run_once(now) == 1
        with runtime.session_factory() as s:
            rows = s.execute(runtime.tables.timers.select()).mappings().all()
        assert [(r["key"], r["payload"]["step"]) for r in rows] == [("chain-1", 2)]
        with runtime.session_factory() as s, s.begin():
            store.schedule(s, "step", "chain-1", now - timedelta(seconds=1), {"step": 1})
