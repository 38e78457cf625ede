"""The checklists playbooks put on incidents (playbooks and incident types themselves: catalog.py)."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.auth import Principal
from services.incident.domain.errors import InvalidValue, NotFoundError
from services.incident.service_layer.access import load
from services.incident.service_layer.handlers import add_checklist
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def attach_playbook(uow: IncidentUnitOfWork, incident_id: str, playbook_id: str, principal: Principal) -> None:
    """Copy a playbook's checklist onto an incident by hand."""
    with uow:
        now = uow.clock.now()
        incident = load(uow, incident_id, principal, for_update=True)
        loaded = incident.version
        playbook = uow.playbooks.get(playbook_id)
        if playbook is None:
            raise InvalidValue(f"no playbook {playbook_id}", "playbook_id")
        if uow.checklist.list(incident_id, playbook_id=playbook_id):
            raise InvalidValue(f"playbook {playbook['name']!r} is already attached", "playbook_id")
        incident.note("task_changed", f"Playbook attached: {playbook['name']}", principal.user, now,
                      timeline_kind="checklist", detail={"playbook_id": playbook_id, "change": "attached"})
        add_checklist(uow, incident_id, playbook, principal.user, now)
        save(uow, incident, loaded)
        uow.commit()


def change_checklist_item(uow: IncidentUnitOfWork, incident_id: str, principal: Principal, verb: str,
                          item_id: str | None = None, values: dict[str, Any] | None = None) -> dict | None:
    """create, rename, move, check, uncheck or remove a checklist item, each on the timeline."""
    values = values or {}
    with uow:
        now = uow.clock.now()
        incident = load(uow, incident_id, principal, for_update=True)
        incident.ensure_writable()
        loaded = incident.version
        current = uow.checklist.get(incident_id, item_id) if item_id else None
        if item_id and current is None:
            raise NotFoundError(f"no checklist item {item_id} on incident {incident_id}")
        row, summary = _checklist_op(uow, incident_id, principal, verb, current, values, now)
        incident.note("task_changed", summary, principal.user, now, timeline_kind="checklist",
                      detail={"change": verb, "item_id": row["id"], "title": row["title"], "stage": row["stage"]})
        save(uow, incident, loaded)
        uow.commit()
    return None if verb == "remove" else row


def _checklist_op(uow, incident_id, principal, verb, current, values, now) -> tuple[dict, str]:
    repo = uow.checklist
    if verb == "create":
        siblings = repo.list(incident_id, stage=values["stage"])
        playbook_name = values.get("playbook_name") or "ad hoc"
        row = {"id": str(uuid.uuid4()), "incident_id": incident_id, "created_at": now, "created_by": principal.user,
               "playbook_id": None, "playbook_name": playbook_name,
               "stage_position": _stage_position(repo, incident_id, playbook_name, values["stage"]),
               "position": len(siblings), "checked": False, "title": values["title"], "stage": values["stage"],
               "description": values.get("description"), "assignee_role": values.get("assignee_role")}
        repo.add(row)
        return row, f"Checklist item added: {row['title']} ({row['stage']})"
    if verb == "remove":
        repo.remove(current["id"])
        return current, f"Checklist item removed: {current['title']}"
    if verb == "rename":
        if not values.get("title"):
            raise InvalidValue("renaming an item needs its new title", "title")
        repo.change(current["id"], {"title": values["title"]})
        return {**current, "title": values["title"]}, f"Checklist item renamed: {current['title']} → {values['title']}"
    if verb in ("check", "uncheck"):
        checked = verb == "check"
        if current["checked"] == checked:
            raise InvalidValue(f"the item is already {'checked' if checked else 'unchecked'}", "checked")
        change = {"checked": checked, "checked_by": principal.user if checked else None,
                  "checked_at": now if checked else None}
        repo.change(current["id"], change)
        return {**current, **change}, f"Checklist item {'checked' if checked else 'unchecked'}: {current['title']}"
    if verb == "move":
        stage = values.get("stage", current["stage"])
        position = values.get("position", current["position"])
        stage_position = current["stage_position"] if stage == current["stage"] else \
            _stage_position(repo, incident_id, current["playbook_name"], stage)
        repo.change(current["id"], {"stage": stage, "stage_position": stage_position, "position": position})
        return ({**current, "stage": stage, "stage_position": stage_position, "position": position},
                f"Checklist item moved: {current['title']} → {stage} #{position}")
    raise InvalidValue(f"unknown checklist operation {verb!r}", "op")


def _stage_position(repo, incident_id: str, playbook_name: str, stage: str) -> int:
    """The stage's place among the playbook's stages on this incident; a new stage goes last."""
    rows = repo.list(incident_id, playbook_name=playbook_name)
    same = [r["stage_position"] for r in rows if r["stage"] == stage]
    if same:
        return same[0]
    return max((r["stage_position"] for r in rows), default=-1) + 1
