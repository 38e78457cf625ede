"""Action items: what a postmortem commits the team to, with owner, due date, priority and status."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.postmortem.domain.errors import Refused

PRIORITIES = ("critical", "high", "medium", "low")
STATUSES = ("open", "in_progress", "done", "cancelled")
OPEN_STATUSES = ("open", "in_progress")


def check_item(values: dict[str, Any]) -> None:
    title = values.get("title")
    if title is not None and not str(title).strip():
        raise Refused("title must not be blank", 422, "title")
    if values.get("priority") is not None and values["priority"] not in PRIORITIES:
        raise Refused(f"priority must be one of {', '.join(PRIORITIES)}", 422, "priority")
    if values.get("status") is not None and values["status"] not in STATUSES:
        raise Refused(f"status must be one of {', '.join(STATUSES)}", 422, "status")


def is_overdue(item: dict[str, Any], today: date) -> bool:
    """Still open and its due date has passed."""
    due = item.get("due_date")
    return item.get("status") in OPEN_STATUSES and due is not None and due < today
