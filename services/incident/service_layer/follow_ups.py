"""Follow-up tasks from postmortem action items: one task per action item, however often it is announced."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from libs.common.envelope import Event
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

logger = logging.getLogger(__name__)
# Task ids derived from the action item id: the same item never makes a second task.
FOLLOW_UP_NAMESPACE = uuid.UUID("5b0c3d52-8f7e-4a51-9a0e-1f6f3a2b9c11")


def follow_up_task_id(action_item_id: str) -> str:
    return str(uuid.uuid5(FOLLOW_UP_NAMESPACE, f"action-item/{action_item_id}"))


def action_item_created(uow: IncidentUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Add the follow-up task (even on a closed incident: follow-ups outlive it), unless it exists."""
    incident = uow.incidents.get(data["incident_id"], for_update=True)
    if incident is None:
        logger.warning("action item for an unknown incident", extra={"fields": {
            "incident_id": data["incident_id"], "action_item_id": data["action_item_id"]}})
        return
    task_id = follow_up_task_id(data["action_item_id"])
    if uow.tasks.get(incident.id, task_id) is not None:
        return
    now = uow.clock.now()
    due: date | None = data.get("due_date")
    row = {"id": task_id, "incident_id": incident.id, "created_at": now, "created_by": "postmortem",
           "description": data["title"], "assignee": data.get("owner"),
           "due_at": datetime.combine(due, time(23, 59, 59), UTC) if due else None,
           "status": "open", "phase": "follow_up", "completed_at": None}
    uow.tasks.add(row)
    loaded = incident.version
    item = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
    incident.record("task_changed", f"Task added: {data['title']} (postmortem action item)", "postmortem", now,
                    timeline_kind="task", detail={"collection": "tasks", "change": "added", "item": item,
                                                  "action_item_id": data["action_item_id"],
                                                  "postmortem_id": data["postmortem_id"]})
    save(uow, incident, loaded)
