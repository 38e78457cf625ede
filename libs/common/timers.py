"""Durable timers: rows with a `due_at`, claimed with FOR UPDATE SKIP LOCKED by any scheduler replica."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

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


class TimerStore:
    """Schedule, cancel and claim timers inside the caller's transaction."""

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
    """Fires due timers: each handler runs in the transaction that deletes its row, so once."""

    def __init__(self, runtime: ServiceRuntime, handlers: dict[str, TimerHandler],
                 uow_factory: Callable[[], UnitOfWork] | None = None, max_retry_delay: float = 300.0):
        self.runtime = runtime
        self.handlers = handlers
        self.store = TimerStore(runtime.tables.timers)
        self.uow_factory = uow_factory or (lambda: UnitOfWork(runtime))
        self.max_retry_delay = max_retry_delay

    def run_once(self, now: datetime | None = None) -> int:
        """Claim and fire one batch of due timers; return how many were claimed."""
        now = now or utcnow()
        with self.uow_factory() as uow:
            timers = self.store.claim_due(uow.session, now, self.runtime.settings.scheduler_batch)
            for timer in timers:
                self._fire(uow, timer)
            uow.commit()
        return len(timers)

    def _fire(self, uow: UnitOfWork, timer: Timer) -> None:
        t = self.store.table
        kind = timer.kind
        savepoint = uow.session.begin_nested()
        try:
            handler = self.handlers.get(kind)
            if handler is None:
                raise LookupError(f"no handler for timer kind {kind!r}")
            handler(uow, timer)
            uow.session.execute(delete(t).where(t.c.id == timer.id))
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - one bad timer must not hold back the rest
            savepoint.rollback()
            delay = min(2.0 ** timer.attempts, self.max_retry_delay)
            uow.session.execute(update(t).where(t.c.id == timer.id).values(
                attempts=timer.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                due_at=utcnow() + timedelta(seconds=delay)))
            timers_fired.labels(self.runtime.service, kind, "retried").inc()
            logger.warning("timer failed, retrying", exc_info=exc,
                           extra={"fields": {"kind": kind, "key": timer.key, "in": delay}})
            return
        timers_fired.labels(self.runtime.service, kind, "fired").inc()
        timer_lateness.labels(self.runtime.service, kind).observe(max(0.0, (utcnow() - timer.due_at).total_seconds()))

    def idle_for(self) -> float:
        """Seconds to sleep: until the next due timer, capped by the idle interval."""
        cap = self.runtime.settings.scheduler_idle_seconds
        with self.runtime.session_factory() as session:
            nxt = self.store.next_due(session)
        if nxt is None:
            return cap
        return max(0.0, min(cap, (nxt - utcnow()).total_seconds()))

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

