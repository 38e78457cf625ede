"""Incident persistence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.incident.adapters.orm import incidents
from services.incident.domain.model import Incident

_COLUMNS = ("id", "reference", "title", "severity", "priority", "status", "team", "private", "created_by",
            "created_at", "sequence", "version")


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, incident: Incident) -> None:
        self.session.execute(incidents.insert().values({c: getattr(incident, c) for c in _COLUMNS}))

    def get(self, incident_id: str) -> Incident | None:
        row = self.session.execute(select(incidents).where(incidents.c.id == incident_id)).mappings().first()
        return _from_row(row) if row else None

    def list(self, limit: int, after: tuple[datetime, str] | None = None,
             teams: tuple[str, ...] | None = None) -> list[Incident]:
        """Newest first, keyset-paginated on (created_at, id); `teams` limits private ones (None: all)."""
        query = select(incidents).order_by(incidents.c.created_at.desc(), incidents.c.id.desc()).limit(limit)
        if teams is not None:
            query = query.where(incidents.c.private.is_(False) | incidents.c.team.in_(teams))
        if after is not None:
            created_at, incident_id = after
            query = query.where(
                (incidents.c.created_at < created_at)
                | ((incidents.c.created_at == created_at) & (incidents.c.id < incident_id)))
        return [_from_row(r) for r in self.session.execute(query).mappings()]


def _from_row(row) -> Incident:
    data = {c: row[c] for c in _COLUMNS}
    data["created_at"] = as_utc(data["created_at"])
    return Incident(**data)
