"""Reading and writing the incident copy, its timeline copy, postmortems and action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.postmortem.adapters.orm import action_items, incident_copies, postmortems, timeline_copies
from services.postmortem.domain.projection import IncidentCopy
from services.postmortem.domain.times import instant

_COPY_PARTS = ("incident", "marks", "impacts", "tasks", "roles", "sla", "escalations")


def _plain(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


def _locked(session: Session, query: Select, lock: bool) -> Select:
    return query.with_for_update() if lock and session.get_bind().dialect.name != "sqlite" else query


def visibility(teams: tuple[str, ...] | None):
    """Private incidents' rows only for their team (None: no restriction, for admins)."""
    if teams is None:
        return None
    return or_(incident_copies.c.private.is_(False), incident_copies.c.team.in_(teams))


class IncidentCopies:
    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> IncidentCopy | None:
        query = _locked(self.session, select(incident_copies).where(incident_copies.c.incident_id == incident_id),
                        lock)
        row = self.session.execute(query).mappings().first()
        if row is None:
            return None
        return IncidentCopy(id=row["incident_id"], sequence=row["sequence"], **{p: row[p] for p in _COPY_PARTS})

    def save(self, copy: IncidentCopy, now: datetime, new: bool) -> None:
        incident = copy.incident
        values = {"sequence": copy.sequence, "status": incident.get("status"), "severity": incident.get("severity"),
                  "team": incident.get("team"), "private": bool(incident.get("private")),
                  "resolved_at": instant(incident.get("resolved_at")), "updated_at": now,
                  **{p: getattr(copy, p) for p in _COPY_PARTS}}
        if new:
            self.session.execute(incident_copies.insert().values(incident_id=copy.id, **values))
        else:
            self.session.execute(update(incident_copies).where(incident_copies.c.incident_id == copy.id)
                                 .values(values))


class TimelineCopies:
    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, entry_id: int) -> dict[str, Any] | None:
        row = self.session.execute(select(timeline_copies).where(
            timeline_copies.c.incident_id == incident_id, timeline_copies.c.entry_id == entry_id)).mappings().first()
        return self._entry(row) if row else None

    def put(self, incident_id: str, entry: dict[str, Any], new: bool) -> None:
        values = {"sequence": entry.get("sequence"), "kind": entry["kind"], "summary": entry["summary"],
                  "actor": entry.get("actor"), "occurred_at": instant(entry["occurred_at"]),
                  "original_occurred_at": instant(entry.get("original_occurred_at")),
                  "important": bool(entry.get("important")), "internal": bool(entry.get("internal"))}
        if new:
            self.session.execute(timeline_copies.insert().values(incident_id=incident_id, entry_id=entry["id"],
                                                                 **values))
        else:
            self.session.execute(update(timeline_copies).where(
                timeline_copies.c.incident_id == incident_id, timeline_copies.c.entry_id == entry["id"])
                .values(values))

    def list(self, incident_id: str) -> list[dict[str, Any]]:
        query = (select(timeline_copies).where(timeline_copies.c.incident_id == incident_id)
                 .order_by(timeline_copies.c.occurred_at, timeline_copies.c.entry_id))
        return [self._entry(r) for r in self.session.execute(query).mappings()]

    @staticmethod
    def _entry(row) -> dict[str, Any]:
        entry = _plain(row)
        entry["id"] = entry.pop("entry_id")
        return entry


class Postmortems:
    def __init__(self, session: Session):
        self.session = session

    def get(self, postmortem_id: str, lock: bool = False) -> dict[str, Any] | None:
        query = _locked(self.session, select(postmortems).where(postmortems.c.id == postmortem_id), lock)
        row = self.session.execute(query).mappings().first()
        return _plain(row) if row else None

    def for_incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(postmortems).where(postmortems.c.incident_id == incident_id)
                                   ).mappings().first()
        return _plain(row) if row else None

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(postmortems.insert().values(values))

    def change(self, postmortem_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(postmortems).where(postmortems.c.id == postmortem_id).values(values))

    def page(self, teams: tuple[str, ...] | None, limit: int, after: str | None, status: str | None,
             incident_id: str | None = None) -> list[dict]:
        """By id (keyset: `after` is the last id seen), optionally one status or one incident."""
        query = select(postmortems).join(incident_copies, incident_copies.c.incident_id == postmortems.c.incident_id)
        seen = visibility(teams)
        if seen is not None:
            query = query.where(seen)
        if status:
            query = query.where(postmortems.c.status == status)
        if incident_id:
            query = query.where(postmortems.c.incident_id == incident_id)
        if after:
            query = query.where(postmortems.c.id > after)
        return [_plain(r) for r in self.session.execute(query.order_by(postmortems.c.id).limit(limit)).mappings()]


class ActionItems:
    def __init__(self, session: Session):
        self.session = session

    def get(self, item_id: str, lock: bool = False) -> dict[str, Any] | None:
        query = _locked(self.session, select(action_items).where(action_items.c.id == item_id), lock)
        row = self.session.execute(query).mappings().first()
        return _plain(row) if row else None

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(action_items.insert().values(values))

    def change(self, item_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(action_items).where(action_items.c.id == item_id).values(values))

    def of(self, postmortem_id: str) -> list[dict[str, Any]]:
        query = (select(action_items).where(action_items.c.postmortem_id == postmortem_id)
                 .order_by(action_items.c.created_at, action_items.c.id))
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def search(self, teams: tuple[str, ...] | None, limit: int, after: str | None, *, overdue_on: date | None,
               status: str | None, owner: str | None, open_statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        """Action items across postmortems the caller may see, by id; `overdue_on`: open ones due before it."""
        query = select(action_items).join(incident_copies,
                                          incident_copies.c.incident_id == action_items.c.incident_id)
        conditions = [c for c in (
            visibility(teams),
            and_(action_items.c.status.in_(open_statuses), action_items.c.due_date < overdue_on)
            if overdue_on else None,
            action_items.c.status == status if status else None,
            action_items.c.owner == owner if owner else None,
            action_items.c.id > after if after else None) if c is not None]
        query = query.where(*conditions).order_by(action_items.c.id).limit(limit)
        return [_plain(r) for r in self.session.execute(query).mappings()]
