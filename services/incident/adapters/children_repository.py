"""Rows that hang off an incident (tasks, impacts, links, comments, roles, checklist items)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc


class ChildRepository:
    def __init__(self, session: Session, table: Table, order_by: tuple[str, ...] = ("created_at", "id")):
        self.session = session
        self.table = table
        self._order_by = order_by

    @property
    def order_by(self) -> list:
        # Built when listing, not in every unit of work's __enter__ (six of these per request).
        return [self.table.c[name] for name in self._order_by]

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(child_insert(self.table), values)

    def get(self, incident_id: str, child_id: str) -> dict[str, Any] | None:
        t = self.table
        row = self.session.execute(select(t).where(t.c.incident_id == incident_id, t.c.id == child_id)).mappings()
        found = row.first()
        return _plain(found) if found else None

    def list(self, incident_id: str, **equal: Any) -> list[dict[str, Any]]:
        t = self.table
        query = select(t).where(t.c.incident_id == incident_id, *(t.c[k] == v for k, v in equal.items()))
        return [_plain(r) for r in self.session.execute(query.order_by(*self.order_by)).mappings()]

    def change(self, child_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(self.table).where(self.table.c.id == child_id).values(values))

    def remove(self, child_id: str) -> None:
        self.session.execute(delete(self.table).where(self.table.c.id == child_id))


def _plain(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


@functools.cache
def child_insert(table: Table):
    """One INSERT construct per table: SQLAlchemy then finds its compiled form without building it anew."""
    return table.insert()
