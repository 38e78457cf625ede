"""Playbooks and incident types, and the checklists they put on incidents."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.auth import Principal
from libs.common.envelope import utcnow
from services.incident.domain.errors import InvalidValue, NotFoundError
from services.incident.domain.playbook import check_stages
from services.incident.service_layer import metrics
from services.incident.service_layer.access import load
from services.incident.service_layer.handlers import add_checklist
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def create_playbook(uow: IncidentUnitOfWork, values: dict[str, Any]) -> dict:
    check_stages(values["stages"])
    now = utcnow()
    with uow:
        if uow.playbooks.by_name(values["name"]):
            raise InvalidValue(f"a playbook named {values['name']!r} exists", "name")
        row = {"id": str(uuid.uuid4()), "version": 1, "created_at": now, "updated_at": now, **values}
        uow.playbooks.add(row)
        uow.commit()
    return row


def update_playbook(uow: IncidentUnitOfWork, playbook_id: str, values: dict[str, Any]) -> dict:
    """Change a playbook; incidents that already carry its checklist keep their copy."""
    if "stages" in values:
        check_stages(values["stages"])
    with uow:
        current = uow.playbooks.get(playbook_id)
        if current is None:
            raise NotFoundError(f"no playbook {playbook_id}")
        if values.get("name") not in (None, current["name"]) and uow.playbooks.by_name(values["name"]):
            raise InvalidValue(f"a playbook named {values['name']!r} exists", "name")
        row = {**current, **values, "version": current["version"] + 1, "updated_at": utcnow()}
        uow.playbooks.change(playbook_id, {k: v for k, v in row.items() if k != "id"})
        uow.commit()
    return row


def delete_playbook(uow: IncidentUnitOfWork, playbook_id: str) -> None:
    with uow:
        if uow.playbooks.get(playbook_id) is None:
            raise NotFoundError(f"no playbook {playbook_id}")
        uow.playbooks.remove(playbook_id)
        uow.commit()


def create_incident_type(uow: IncidentUnitOfWork, values: dict[str, Any]) -> dict:
    with uow:
        if uow.incident_types.get(values["name"]):
            raise InvalidValue(f"incident type {values['name']!r} exists", "name")
        row = {**values, "created_at": utcnow()}
        uow.incident_types.add(row)
        uow.commit()
    return row


def attach_playbook(uow: IncidentUnitOfWork, incident_id: str, playbook_id: str, principal: Principal) -> None:
    """Copy a playbook's checklist onto an incident by hand."""
    now = utcnow()
    with uow:
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
        changes = save(uow, incident, loaded)
        uow.commit()
    metrics.observe(incident, changes)


def change_checklist_item(uow: IncidentUnitOfWork, incident_id: str, principal: Principal, verb: str,
                          item_id: str | None = None, values: dict[str, Any] | None = None) -> dict | None:
    """create, rename, move, check, uncheck or remove a checklist item, each on the timeline."""
    values = values or {}
    now = utcnow()
    with uow:
        incident = load(uow, incident_id, principal, for_update=True)
        incident.ensure_writable()
        loaded = incident.version
        current = uow.checklist.get(incident_id, item_id) if item_id else None
        if item_id and current is None:
            raise NotFoundError(f"no checklist item {item_id} on incident {incident_id}")
        row, summary = _checklist_op(uow, incident_id, principal, verb, current, values, now)
        incident.note("task_changed", summary, principal.user, now, timeline_kind="checklist",
                      detail={"change": verb, "item_id": row["id"], "title": row["title"], "stage": row["stage"]})
        changes = save(uow, incident, loaded)
        uow.commit()
    metrics.observe(incident, changes)
    return None if verb == "remove" else row


def _checklist_op(uow, incident_id, principal, verb, current, values, now) -> tuple[dict, str]:
    repo = uow.checklist
    if verb == "create":
        siblings = repo.list(incident_id, stage=values["stage"])
        row = {"id": str(uuid.uuid4()), "incident_id": incident_id, "created_at": now, "created_by": principal.user,
               "playbook_id": None, "playbook_name": values.get("playbook_name") or "ad hoc",
               "position": len(siblings), "checked": False, "title": values["title"], "stage": values["stage"],
               "description": values.get("description"), "assignee_role": values.get("assignee_role")}
        repo.add(row)
        return row, f"Checklist item added: {row['title']} ({row['stage']})"
    if verb == "remove":
        repo.remove(current["id"])
        return current, f"Checklist item removed: {current['title']}"
    if verb == "rename":
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
        repo.change(current["id"], {"stage": stage, "position": position})
        return ({**current, "stage": stage, "position": position},
                f"Checklist item moved: {current['title']} → {stage} #{position}")
    raise InvalidValue(f"unknown checklist operation {verb!r}", "op")
