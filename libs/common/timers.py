"""Durable timers: rows with a `due_at`, claimed with FOR UPDATE SKIP LOCKED by any scheduler replica."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from libs.common.clock import Clock
from libs.common.envelope import as_utc, utcnow
from libs.common.metrics import timer_lateness, timers_fired
from libs.common.runtime import ServiceRuntime
from libs.common.uow import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timer:
    id: int
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


TimerHandler = Callable[[UnitOfWork, Timer], None]
BatchTimerHandler = Callable[[UnitOfWork, list[Timer]], None]
TimerKey = tuple[str, str]
TimerRows = dict[TimerKey, tuple[datetime, dict[str, Any]]]


class TimerStore:
    """Schedule, cancel, lock and claim timers inside the caller's transaction."""

    def __init__(self, table: Table):
        self.table = table

    def schedule(self, session: Session, kind: str, key: str, due_at: datetime, payload: dict[str, Any]) -> None:
        """Set the timer (kind, key) to fire at due_at, replacing any earlier one with that key."""
        self.cancel(session, kind, key)
        session.execute(self.table.insert().values(
            kind=kind, key=key, due_at=due_at, payload=payload, attempts=0, created_at=utcnow()))

    def cancel(self, session: Session, kind: str, key: str) -> bool:
        t = self.table
        return bool(session.execute(delete(t).where(t.c.kind == kind, t.c.key == key)).rowcount)

    def lock(self, session: Session, keys: list[TimerKey]) -> TimerRows:
        """Lock the timers with these (kind, key) pairs FOR UPDATE; return each one's due_at and payload.

        Lock timer rows before the aggregate's rows: the scheduler holds a timer's row when its handler
        locks the aggregate, so taking them the other way round elsewhere could deadlock.
        """
        t = self.table
        wanted = set(keys)
        query = select(t.c.kind, t.c.key, t.c.due_at, t.c.payload).where(
            t.c.kind.in_(sorted({k for k, _ in keys})), t.c.key.in_(sorted({n for _, n in keys}))).order_by(t.c.id)
        if session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        return {(r.kind, r.key): (as_utc(r.due_at), r.payload) for r in session.execute(query)
                if (r.kind, r.key) in wanted}

    def pending(self, session: Session) -> int:
        return session.execute(select(func.count()).select_from(self.table)).scalar_one()

    def next_due(self, session: Session) -> datetime | None:
        value = session.execute(select(func.min(self.table.c.due_at))).scalar_one()
        return as_utc(value) if value else None

    def claim_due(self, session: Session, now: datetime, limit: int) -> list[Timer]:
        t = self.table
        query = select(t).where(t.c.due_at <= now).order_by(t.c.due_at).limit(limit)
        if session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update(skip_locked=True)
        return [Timer(r.id, r.kind, r.key, as_utc(r.due_at), r.payload, r.attempts)
                for r in session.execute(query)]


class Scheduler:
    """Fires due timers in the transaction that deletes their rows, so each fires once.

    A claimed batch's kinds that have a batch handler fire set-wise: one call per handler, one DELETE,
    under one savepoint. If that raises, those timers fire one savepoint each (a batch handler called
    with one timer where a kind has no per-timer handler), so a bad timer is retried alone with backoff.
    Kinds with only a per-timer handler always fire one savepoint each.
    """

    def __init__(self, runtime: ServiceRuntime, handlers: dict[str, TimerHandler],
                 uow_factory: Callable[[], UnitOfWork] | None = None,
                 batch_handlers: dict[str, BatchTimerHandler] | None = None, max_retry_delay: float = 300.0):
        self.runtime = runtime
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.store = TimerStore(runtime.tables.timers)
        self.uow_factory = uow_factory or (lambda: UnitOfWork(runtime))
        self.max_retry_delay = max_retry_delay

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def run_once(self, now: datetime | None = None) -> int:
        """Claim and fire one batch of timers due by `now` (default: the clock's now); return how many."""
        now = now or self.clock.now()
        with self.uow_factory() as uow:
            timers = self.store.claim_due(uow.session, now, self.runtime.settings.scheduler_batch)
            if not timers:
                return 0
            batched = [t for t in timers if t.kind in self.batch_handlers]
            if batched and not self._fire_batch(uow, batched):
                for timer in batched:
                    self._fire(uow, timer)
            for timer in timers:
                if timer.kind not in self.batch_handlers:
                    self._fire(uow, timer)
            uow.commit()
        return len(timers)

    def _fire_batch(self, uow: UnitOfWork, timers: list[Timer]) -> bool:
        # One call per handler, not per kind: kinds sharing a handler fire together, in due order.
        groups: dict[BatchTimerHandler, list[Timer]] = {}
        for timer in timers:
            groups.setdefault(self.batch_handlers[timer.kind], []).append(timer)
        savepoint = uow.session.begin_nested()
        try:
            # Rows go before the handlers run, so a handler may schedule the same (kind, key) again: deleting
            # by id afterwards could hit the new row, since SQLite hands a just-freed top rowid out again.
            t = self.store.table
            uow.session.execute(delete(t).where(t.c.id.in_([timer.id for timer in timers])))
            for handler, group in groups.items():
                handler(uow, group)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - fall back to one savepoint per timer
            savepoint.rollback()
            logger.warning("timer batch failed; firing one by one", exc_info=exc)
            return False
        done = self.clock.now()
        for timer in timers:
            self._count(timer, "fired", done)
        return True

    def _handler(self, kind: str) -> TimerHandler | None:
        handler = self.handlers.get(kind)
        batch = self.batch_handlers.get(kind)
        if handler is None and batch is not None:
            return lambda uow, timer: batch(uow, [timer])
        return handler

    def _fire(self, uow: UnitOfWork, timer: Timer) -> None:
        t = self.store.table
        savepoint = uow.session.begin_nested()
        try:
            handler = self._handler(timer.kind)
            if handler is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            uow.session.execute(delete(t).where(t.c.id == timer.id))  # first, as in _fire_batch
            handler(uow, timer)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - one bad timer must not hold back the rest
            savepoint.rollback()
            delay = min(2.0 ** timer.attempts, self.max_retry_delay)
            uow.session.execute(update(t).where(t.c.id == timer.id).values(
                attempts=timer.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                due_at=self.clock.now() + timedelta(seconds=delay)))
            self._count(timer, "retried")
            logger.warning("timer failed, retrying", exc_info=exc,
                           extra={"fields": {"kind": timer.kind, "key": timer.key, "in": delay}})
            return
        self._count(timer, "fired", self.clock.now())

    def _count(self, timer: Timer, outcome: str, done: datetime | None = None) -> None:
        timers_fired.labels(self.runtime.service, timer.kind, outcome).inc()
        if done is not None:
            timer_lateness.labels(self.runtime.service, timer.kind).observe(
                max(0.0, (done - timer.due_at).total_seconds()))

    def idle_for(self) -> float:
        """Seconds to sleep: until the next due timer, capped by the idle interval."""
        cap = self.runtime.settings.scheduler_idle_seconds
        with self.runtime.session_factory() as session:
            nxt = self.store.next_due(session)
        if nxt is None:
            return cap
        return max(0.0, min(cap, (nxt - self.clock.now()).total_seconds()))

    def run(self, stop: threading.Event) -> None:
        """Fire timers until `stop` is set; database errors are logged and retried."""
        while not stop.is_set():
            try:
                if self.run_once() >= self.runtime.settings.scheduler_batch:
                    continue
                stop.wait(self.idle_for())
            except Exception as exc:  # noqa: BLE001 - keep the loop alive through outages
                logger.warning("scheduler error", extra={"fields": {"error": repr(exc)}})
                stop.wait(1.0)


class PendingTimers:
    """firebreak_timers_pending{service,kind}: each watched service's timers, counted when scraped."""

    NAME = "firebreak_timers_pending"

    def __init__(self) -> None:
        self.watched: dict[str, tuple[ServiceRuntime, str | None]] = {}

    def watch(self, runtime: ServiceRuntime, alias: str | None = None) -> None:
        """Count this runtime's timers; `alias` also exposes them as `<alias>{kind}` (an older name)."""
        self.watched[runtime.service] = (runtime, alias)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.NAME, "Timers not yet fired, by service and kind.", labels=["service", "kind"])
        families = [family]
        for service, (runtime, alias) in sorted(self.watched.items()):
            counts = _count_by_kind(runtime)
            if counts is None:
                continue  # a broken store must not break the scrape
            for kind, count in counts:
                family.add_metric([service, kind], count)
            if alias:
                old = GaugeMetricFamily(alias, f"{service} timers not yet fired, by kind.", labels=["kind"])
                for kind, count in counts:
                    old.add_metric([kind], count)
                families.append(old)
        return families


def _count_by_kind(runtime: ServiceRuntime) -> list[tuple[str, int]] | None:
    table = runtime.tables.timers
    try:
        with runtime.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(table.c.kind, func.count()).group_by(table.c.kind))]
    except Exception:  # noqa: BLE001
        return None


pending_timers = PendingTimers()
REGISTRY.register(pending_timers)


def watch_timers(runtime: ServiceRuntime, alias: str | None = None) -> None:
    """Report this runtime's pending timers in firebreak_timers_pending (and `alias`, if given)."""
    pending_timers.watch(runtime, alias)
