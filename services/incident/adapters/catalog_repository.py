"""What incident handlers read of playbooks and incident types (writes: service_layer/catalog.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.incident.adapters.orm import incident_types, playbooks


class PlaybookRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, playbook_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(playbooks).where(playbooks.c.id == playbook_id)).mappings().first()
        return _times(row) if row else None

    def for_type(self, incident_type: str) -> list[dict[str, Any]]:
        query = select(playbooks).where(playbooks.c.incident_type == incident_type).order_by(playbooks.c.name)
        return [_times(r) for r in self.session.execute(query).mappings()]


class IncidentTypeRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, name: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incident_types).where(incident_types.c.name == name)).mappings().first()
        return _times(row) if row else None


def _times(row) -> dict[str, Any]:
    data = dict(row)
    for key in ("created_at", "updated_at"):
        if data.get(key) is not None:
            data[key] = as_utc(data[key])
    return data
