"""Incident persistence: load, add, save with an optimistic version check, and list."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.incident.adapters.orm import incidents
from services.incident.domain.errors import VersionConflict
from services.incident.domain.model import PRIORITIES, SEVERITIES, Incident, new_reference

_COLUMNS = tuple(f.name for f in fields(Incident) if f.name != "events")
_TIMES = ("created_at", "updated_at", "acknowledged_at", "started_at", "resolved_at", "closed_at", "reopened_at",
          "detected_at")
SORTS = {"created_at": incidents.c.created_at, "updated_at": incidents.c.updated_at,
         "priority": incidents.c.priority_rank, "severity": incidents.c.severity_rank}


def _row(incident: Incident) -> dict[str, Any]:
    values = {c: getattr(incident, c) for c in _COLUMNS}
    values["priority_rank"] = PRIORITIES.index(incident.priority)
    values["severity_rank"] = SEVERITIES.index(incident.severity)
    return values


def from_row(row) -> Incident:
    data = {c: row[c] for c in _COLUMNS}
    for name in _TIMES:
        if data[name] is not None:
            data[name] = as_utc(data[name])
    return Incident(**data)


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, incident: Incident) -> None:
        """Insert; on the rare clash of readable references, draw a new one (the unique index decides)."""
        for _ in range(5):
            try:
                with self.session.begin_nested():
                    self.session.execute(incidents.insert(), _row(incident))
                return
            except IntegrityError:
                if self.session.execute(select(incidents.c.id).where(incidents.c.id == incident.id)).first():
                    raise
                incident.reference = new_reference(incident.created_at)
        raise RuntimeError("could not find a free incident reference")

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        query = select(incidents).where(incidents.c.id == incident_id)
        if for_update and self.session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.session.execute(query).mappings().first()
        return from_row(row) if row else None

    def save(self, incident: Incident, loaded_version: int) -> None:
        """Write the incident back if nobody else did since `loaded_version`; bump its version."""
        values = _row(incident)
        values["version"] = loaded_version + 1
        result = self.session.execute(
            update(incidents).where(incidents.c.id == incident.id, incidents.c.version == loaded_version)
            .values(values))
        if result.rowcount != 1:
            current = self.session.execute(select(incidents.c.version).where(incidents.c.id == incident.id)).scalar()
            raise VersionConflict(loaded_version, current or 0)
        incident.version = loaded_version + 1

    def list(self, query: Select) -> list[Incident]:
        return [from_row(r) for r in self.session.execute(query).mappings()]


def visible_filter(teams: tuple[str, ...] | None):
    """Private incidents only for their team (None: no restriction, for admins)."""
    if teams is None:
        return None
    return or_(incidents.c.private.is_(False), incidents.c.team.in_(teams))


def keyset(sort: str, descending: bool, after: tuple[Any, str] | None):
    """Condition for the page after (sort value, id), stable under concurrent inserts."""
    if after is None:
        return None
    column = SORTS[sort]
    value, last_id = after
    if descending:
        return or_(column < value, and_(column == value, incidents.c.id < last_id))
    return or_(column > value, and_(column == value, incidents.c.id > last_id))
