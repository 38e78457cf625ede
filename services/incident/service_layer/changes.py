"""Change events (deploys, config changes) a sender reports, kept to show beside a team's incidents."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from libs.common.envelope import as_utc
from services.incident.adapters.orm import change_events
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

RECENT = timedelta(hours=24)


def create_change(uow: IncidentUnitOfWork, integration: dict[str, Any], summary: str, source: str | None,
                  occurred_at: datetime | None, custom_details: Any, links: list[dict[str, str]]) -> str:
    """Keep one change event for the integration's team; its time is the sender's, else now."""
    with uow:
        now = uow.clock.now()
        change_id = str(uuid.uuid4())
        uow.session.execute(insert(change_events).values(
            id=change_id, integration_id=integration["id"], team=integration["default_team"], summary=summary,
            source=source, occurred_at=min(occurred_at, now) if occurred_at else now,
            custom_details=custom_details, links=links, received_at=now))
        uow.commit()
    return change_id


def list_changes(uow: IncidentUnitOfWork, team: str | None, since: datetime | None, limit: int) -> list[dict]:
    """The newest changes first, since `since` (default: the last 24 hours), of one team or all."""
    with uow:
        since = since or uow.clock.now() - RECENT
        query = select(change_events).where(change_events.c.occurred_at >= since)
        if team:
            query = query.where(change_events.c.team == team)
        query = query.order_by(change_events.c.occurred_at.desc(), change_events.c.id).limit(limit)
        rows = [dict(row) for row in uow.session.execute(query).mappings()]
    for row in rows:
        row["occurred_at"], row["received_at"] = as_utc(row["occurred_at"]), as_utc(row["received_at"])
    return rows
