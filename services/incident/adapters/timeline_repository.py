"""Timeline entries: system entries written with each change, and notes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.incident.adapters.orm import timeline
from services.incident.domain.changes import IncidentChanged

# Built once: a fresh construct per call costs its building and its cache key.
TIMELINE_INSERT = timeline.insert().returning(timeline.c.id)


class TimelineRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, incident_id: str, change: IncidentChanged, recorded_at) -> int:
        return self.session.execute(TIMELINE_INSERT, entry_row(incident_id, change, recorded_at)).scalar_one()

    def get(self, incident_id: str, entry_id: int) -> dict[str, Any] | None:
        row = self.session.execute(select(timeline).where(
            timeline.c.incident_id == incident_id, timeline.c.id == entry_id)).mappings().first()
        return _entry(row) if row else None

    def list(self, incident_id: str, kinds: list[str] | None = None, important: bool | None = None) -> list[dict]:
        query = select(timeline).where(timeline.c.incident_id == incident_id)
        if kinds:
            query = query.where(timeline.c.kind.in_(kinds))
        if important is not None:
            query = query.where(timeline.c.important.is_(important))
        query = query.order_by(timeline.c.occurred_at, timeline.c.id)
        return [_entry(r) for r in self.session.execute(query).mappings()]

    def change(self, entry_id: int, **values: Any) -> None:
        self.session.execute(update(timeline).where(timeline.c.id == entry_id).values(**values))


def entry_row(incident_id: str, change: IncidentChanged, recorded_at) -> dict[str, Any]:
    """The timeline row that records `change`, without its id (the database numbers it)."""
    return {"incident_id": incident_id, "sequence": change.sequence, "kind": change.entry_kind,
            "summary": change.summary, "actor": change.actor, "occurred_at": change.occurred_at,
            "recorded_at": recorded_at, "important": change.important, "changes": change.changes or None,
            "detail": change.detail}


def _entry(row) -> dict[str, Any]:
    entry = dict(row)
    entry["occurred_at"] = as_utc(entry["occurred_at"])
    entry["recorded_at"] = as_utc(entry["recorded_at"])
    return entry
