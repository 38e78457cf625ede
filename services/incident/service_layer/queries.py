"""Read side: incident lists with filters, sorting and cursors; the history export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select

from libs.common.auth import Principal, visible_teams
from libs.common.pagination import decode_cursor, encode_cursor
from services.incident.adapters.orm import incidents
from services.incident.adapters.repository import SORTS, keyset, visible_filter
from services.incident.domain.errors import InvalidValue
from services.incident.domain.model import PRIORITIES, SEVERITIES, Incident
from services.incident.domain.workflow import OPEN_STATUSES
from services.incident.service_layer.access import load
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

EQUAL_FILTERS = ("team", "commander", "assignee", "incident_type")
IN_FILTERS = ("status", "severity", "priority")


def list_incidents(uow: IncidentUnitOfWork, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """A page of incidents the principal may see, filtered and sorted, with a cursor to the next."""
    sort = args.get("sort") or "-created_at"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        raise InvalidValue(f"sort must be one of {', '.join(SORTS)} (prefix - for descending)", "sort")
    column = SORTS[key]
    query = select(incidents)
    conditions = [visible_filter(visible_teams(principal))]
    for name in EQUAL_FILTERS:
        if args.get(name):
            conditions.append(incidents.c[name] == args[name])
    for name in IN_FILTERS:
        if args.get(name):
            conditions.append(incidents.c[name].in_(args[name]))
    if args.get("open"):
        conditions.append(incidents.c.status.in_(OPEN_STATUSES))
    if args.get("created_from"):
        conditions.append(incidents.c.created_at >= args["created_from"])
    if args.get("created_to"):
        conditions.append(incidents.c.created_at < args["created_to"])
    if args.get("q"):
        conditions.append(incidents.c.title.ilike(f"%{args['q']}%"))
    if args.get("cursor"):
        _, value, last_id = _cursor(args["cursor"], sort, key)
        if key in ("created_at", "updated_at"):
            value = datetime.fromisoformat(value)
        conditions.append(keyset(key, descending, (value, last_id)))
    query = query.where(*[c for c in conditions if c is not None])
    order = (column.desc(), incidents.c.id.desc()) if descending else (column.asc(), incidents.c.id.asc())
    limit = args.get("limit", 50)
    with uow:
        items = uow.incidents.list(query.order_by(*order).limit(limit + 1))
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        value = _sort_value(last, key)
        next_cursor = encode_cursor([sort, value, last.id])
    return {"items": items, "next_cursor": next_cursor}


def _cursor(cursor: str, sort: str, key: str) -> list:
    kind = datetime if key in ("created_at", "updated_at") else int if key in ("priority", "severity") else str
    values = decode_cursor(cursor, str, kind, str)
    if len(values) != 3 or values[0] != sort:
        raise InvalidValue("the cursor belongs to another sort order; start again without it", "cursor")
    return values


def _sort_value(incident: Incident, key: str):
    if key == "priority":
        return PRIORITIES.index(incident.priority)
    if key == "severity":
        return SEVERITIES.index(incident.severity)
    return getattr(incident, key).isoformat()


def visible_timeline(entries: list[dict], principal: Principal) -> list[dict]:
    """Internal comments are for responders and admins only."""
    if principal.has_role("responder"):
        return entries
    return [e for e in entries if not (e["kind"] == "comment" and
                                       ((e.get("detail") or {}).get("item") or {}).get("visibility") == "internal")]


def history(uow: IncidentUnitOfWork, incident_id: str, principal: Principal) -> dict[str, Any]:
    with uow:
        incident = load(uow, incident_id, principal)
        entries = visible_timeline(uow.timeline.list(incident_id), principal)
    return {"incident": incident.snapshot(), "timeline": entries}


def history_csv(record: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["occurred_at", "kind", "actor", "important", "summary"])
    for e in record["timeline"]:
        writer.writerow([e["occurred_at"].isoformat(), e["kind"], e["actor"] or "", "yes" if e["important"] else "",
                         e["summary"]])
    return out.getvalue()


def history_markdown(record: dict[str, Any]) -> str:
    i = record["incident"]
    lines = [f"# {i['reference']}: {i['title']}", "",
             f"- Status: {i['status']}", f"- Severity: {i['severity']}", f"- Priority: {i['priority']}",
             f"- Team: {i['team'] or '-'}", f"- Commander: {i['commander'] or '-'}",
             f"- Declared: {i['created_at']} by {i['created_by']}"]
    if i.get("resolved_at"):
        lines.append(f"- Resolved: {i['resolved_at']} ({i['resolution_code']}): {i['resolution_summary']}")
    lines += ["", "## Timeline", "", "| when | what | who |", "| --- | --- | --- |"]
    for e in record["timeline"]:
        star = "★ " if e["important"] else ""
        summary = e["summary"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {e['occurred_at']:%Y-%m-%d %H:%M:%S} | {star}{summary} | {e['actor'] or ''} |")
    return "\n".join(lines) + "\n"
