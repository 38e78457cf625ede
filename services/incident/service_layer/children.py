"""Handlers for what hangs off an incident: tasks, customer impacts, links, comments, roles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from libs.common.auth import Principal
from services.incident.domain import children as rules
from services.incident.domain.errors import InvalidValue, NotFoundError
from services.incident.service_layer.access import load
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

# collection -> (repository attribute, event kind, timeline kind, noun)
COLLECTIONS = {
    "tasks": ("tasks", "task_changed", "task", "Task"),
    "impacts": ("impacts", "impact_changed", "impact", "Customer impact"),
    "links": ("links", "updated", "link", "Link"),
    "comments": ("comments", "note_added", "comment", "Comment"),
    "roles": ("roles", "role_changed", "role", "Role"),
}


def _describe(collection: str, row: dict[str, Any]) -> str:
    return {
        "tasks": lambda r: r["description"],
        "impacts": lambda r: f"{r['description']} (from {r['start_at']:%H:%M}"
                             + (f" to {r['end_at']:%H:%M})" if r.get("end_at") else ", ongoing)"),
        "links": lambda r: f"{r['kind']}: {r.get('title') or r['url']}",
        "comments": lambda r: f"({r['visibility']}) {r['body'][:200]}",
        "roles": lambda r: f"{r['role']}: {r['user']}",
    }[collection](row)


def _validate(collection: str, row: dict[str, Any], now: datetime) -> None:
    if collection == "tasks":
        rules.check_task(row.get("description"), row.get("status"))
    elif collection == "impacts":
        rules.check_impact(row["start_at"], row.get("end_at"), now)
    elif collection == "links":
        rules.check_link(row["kind"], row["url"])
    elif collection == "comments" and row["visibility"] not in rules.COMMENT_VISIBILITY:
        raise InvalidValue("visibility must be public or internal", "visibility")
    elif collection == "roles":
        rules.check_role(row["role"])


def change_child(uow: IncidentUnitOfWork, collection: str, incident_id: str, principal: Principal,
                 verb: str, child_id: str | None = None, values: dict[str, Any] | None = None) -> dict | None:
    """Add, change or remove one child row, with its timeline entry and event, in one transaction."""
    repo_name, kind, timeline_kind, noun = COLLECTIONS[collection]
    with uow:
        now = uow.clock.now()
        incident = load(uow, incident_id, principal, for_update=True)
        incident.ensure_writable()
        loaded = incident.version
        repo = getattr(uow, repo_name)
        current = repo.get(incident_id, child_id) if child_id else None
        if child_id and current is None:
            raise NotFoundError(f"no {noun.lower()} {child_id} on incident {incident_id}")
        row = _apply(uow, collection, incident, principal, verb, current, values or {}, now)
        summary = f"{noun} {verb}: {_describe(collection, row)}"
        incident.note(kind, summary, principal.user, now, timeline_kind=timeline_kind,
                      detail={"collection": collection, "change": verb, "item": _jsonable(row)})
        save(uow, incident, loaded)
        uow.commit()
    return None if verb == "removed" else row


def _apply(uow, collection, incident, principal, verb, current, values, now) -> dict[str, Any]:
    repo = getattr(uow, COLLECTIONS[collection][0])
    if verb == "removed":
        if collection == "roles" and current["role"] == "commander":
            raise InvalidValue("an incident always has a commander: assign another instead", "role")
        repo.remove(current["id"])
        return current
    if verb == "changed":
        row = {**current, **values}
        if collection == "tasks" and "status" in values:
            row["completed_at"] = now if values["status"] == "done" else None
        _validate(collection, row, now)
        repo.change(current["id"], {k: v for k, v in row.items() if k not in ("id", "incident_id")})
        return row
    row = {"id": str(uuid.uuid4()), "incident_id": incident.id, "created_at": now, "created_by": principal.user,
           **values}
    if collection == "tasks":
        row.setdefault("status", "open")
        row["phase"] = rules.task_phase(incident.status)
        row["completed_at"] = now if row["status"] == "done" else None
    _validate(collection, row, now)
    if collection == "roles":
        _replace_single_role(uow, incident, principal, row, now)
    repo.add(row)
    return row


def _replace_single_role(uow, incident, principal, row, now) -> None:
    existing = uow.roles.list(incident.id, role=row["role"])
    if any(r["user"] == row["user"] for r in existing):
        raise InvalidValue(f"{row['user']} already holds {row['role']}", "user")
    if row["role"] in rules.SINGLE_ROLES:
        for old in existing:
            uow.roles.remove(old["id"])
    if row["role"] == "commander":
        incident.commander = row["user"]


def impact_total(rows: list[dict[str, Any]], now: datetime) -> float:
    return rules.impact_seconds([(r["start_at"], r.get("end_at")) for r in rows], now)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
