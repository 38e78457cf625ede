"""Row locks on an incident's SLA timers, taken before its record so schedulers and consumers never deadlock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc

TimerKey = tuple[str, str]
TimerRows = dict[TimerKey, tuple[datetime, dict[str, Any]]]


def lock_timers(session: Session, table: Table, keys: list[TimerKey]) -> TimerRows:
    """Lock the timers with these (kind, key) pairs; return each one's due_at and payload."""
    kinds = sorted({k for k, _ in keys})
    names = sorted({n for _, n in keys})
    query = select(table.c.kind, table.c.key, table.c.due_at, table.c.payload).where(
        table.c.kind.in_(kinds), table.c.key.in_(names)).order_by(table.c.id)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return {(r.kind, r.key): (as_utc(r.due_at), r.payload) for r in session.execute(query)
            if (r.kind, r.key) in set(keys)}
