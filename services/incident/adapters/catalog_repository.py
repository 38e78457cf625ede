"""Playbooks and incident types: the service's reference data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.incident.adapters.orm import incident_types, playbooks


class PlaybookRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(playbooks.insert().values(values))

    def get(self, playbook_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(playbooks).where(playbooks.c.id == playbook_id)).mappings().first()
        return _times(row) if row else None

    def by_name(self, name: str) -> dict[str, Any] | None:
        row = self.session.execute(select(playbooks).where(playbooks.c.name == name)).mappings().first()
        return _times(row) if row else None

    def for_type(self, incident_type: str) -> list[dict[str, Any]]:
        query = select(playbooks).where(playbooks.c.incident_type == incident_type).order_by(playbooks.c.name)
        return [_times(r) for r in self.session.execute(query).mappings()]

    def list(self, limit: int, after: str | None) -> list[dict[str, Any]]:
        query = select(playbooks).order_by(playbooks.c.name).limit(limit)
        if after:
            query = query.where(playbooks.c.name > after)
        return [_times(r) for r in self.session.execute(query).mappings()]

    def change(self, playbook_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(playbooks).where(playbooks.c.id == playbook_id).values(values))

    def remove(self, playbook_id: str) -> None:
        self.session.execute(delete(playbooks).where(playbooks.c.id == playbook_id))


class IncidentTypeRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(incident_types.insert().values(values))

    def get(self, name: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incident_types).where(incident_types.c.name == name)).mappings().first()
        return _times(row) if row else None

    def list(self, limit: int, after: str | None) -> list[dict[str, Any]]:
        query = select(incident_types).order_by(incident_types.c.name).limit(limit)
        if after:
            query = query.where(incident_types.c.name > after)
        return [_times(r) for r in self.session.execute(query).mappings()]

    def remove(self, name: str) -> None:
        self.session.execute(delete(incident_types).where(incident_types.c.name == name))


def _times(row) -> dict[str, Any]:
    data = dict(row)
    for key in ("created_at", "updated_at"):
        if data.get(key) is not None:
            data[key] = as_utc(data[key])
    return data
