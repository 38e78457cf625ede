"""Action items: added to a postmortem (announced so the incident gets a follow-up task), changed, searched."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from libs.common.auth import Principal
from libs.common.errors import Conflict, NotFound
from services.postmortem.domain.action_items import OPEN_STATUSES, check_item
from services.postmortem.domain.document import check_editable
from services.postmortem.events import ACTION_ITEM_CREATED
from services.postmortem.service_layer.access import can_see, load_postmortem, visible_teams
from services.postmortem.service_layer.postmortems import item_view
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

FIELDS = ("title", "owner", "due_date", "priority", "status")


def create_action_item(uow: PostmortemUnitOfWork, postmortem_id: str, values: dict[str, Any],
                       principal: Principal) -> dict[str, Any]:
    """Add an item to a draft or in-review postmortem and announce it in the same transaction."""
    with uow:
        row, copy = load_postmortem(uow, postmortem_id, principal, lock=True)
        check_editable(row["status"])
        check_item(values)
        now = uow.clock.now()
        item = {"id": str(uuid.uuid4()), "postmortem_id": postmortem_id, "incident_id": copy.id,
                "title": values["title"].strip(), "owner": values.get("owner"), "due_date": values.get("due_date"),
                "priority": values.get("priority") or "medium", "status": values.get("status") or "open",
                "version": 1, "created_by": principal.user, "created_at": now, "updated_at": now}
        uow.action_items.add(item)
        sequence = row["event_sequence"] + 1
        uow.postmortems.change(postmortem_id, {"event_sequence": sequence})
        uow.emit(ACTION_ITEM_CREATED, {
            "incident_id": copy.id, "postmortem_id": postmortem_id, "action_item_id": item["id"],
            "title": item["title"], "owner": item["owner"],
            "due_date": item["due_date"].isoformat() if item["due_date"] else None, "priority": item["priority"]},
            subject=copy.id, sequence=sequence)
        uow.commit()
    return item_view(item)


def update_action_item(uow: PostmortemUnitOfWork, item_id: str, changes: dict[str, Any], principal: Principal,
                       expected_version: int | None = None) -> dict[str, Any]:
    """Change owner, due date, priority, status or title; tracking goes on after publication."""
    with uow:
        item = _visible_item(uow, item_id, principal, lock=True)
        if expected_version is not None and expected_version != item["version"]:
            raise Conflict(f"the action item changed: you sent version {expected_version}, it is now at "
                           f"{item['version']}", current_version=item["version"])
        values = {k: v for k, v in changes.items() if k in FIELDS}
        check_item(values)
        if "title" in values:
            values["title"] = values["title"].strip()
        values.update(version=item["version"] + 1, updated_at=uow.clock.now())
        uow.action_items.change(item_id, values)
        item = uow.action_items.get(item_id)
        uow.commit()
    return item_view(item)


def get_action_item(uow: PostmortemUnitOfWork, item_id: str, principal: Principal) -> dict[str, Any]:
    with uow:
        return item_view(_visible_item(uow, item_id, principal))


def list_action_items(uow: PostmortemUnitOfWork, postmortem_id: str, principal: Principal) -> list[dict[str, Any]]:
    with uow:
        load_postmortem(uow, postmortem_id, principal)
        return [item_view(i) for i in uow.action_items.of(postmortem_id)]


def search_action_items(uow: PostmortemUnitOfWork, principal: Principal, limit: int, after: str | None,
                        overdue: bool, status: str | None, owner: str | None) -> dict[str, Any]:
    """Across postmortems the caller may see; `overdue`: open items whose due date is before today."""
    today: date = uow.clock.now().date()
    with uow:
        rows = uow.action_items.search(visible_teams(principal), limit + 1, after,
                                       overdue_on=today if overdue else None, status=status, owner=owner,
                                       open_statuses=OPEN_STATUSES)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [item_view(r) for r in rows], "next_cursor": rows[-1]["id"] if more and rows else None}


def _visible_item(uow: PostmortemUnitOfWork, item_id: str, principal: Principal, lock: bool = False) -> dict:
    item = uow.action_items.get(item_id, lock=lock)
    if item is None or not can_see(principal, uow.copies.get(item["incident_id"])):
        raise NotFound(f"no action item {item_id}")
    return item
