"""Commands on SLA policies and calendars: create, replace, delete, with the conflicts they can meet."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from libs.common.envelope import utcnow
from libs.common.errors import Conflict, NotFound, ProblemError
from services.sla.adapters.repository import scope_key
from services.sla.domain.policy import complete_targets
from services.sla.service_layer.unit_of_work import SlaUnitOfWork


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation-failed"


def _field(field: str, message: str) -> list[dict[str, str]]:
    return [{"field": field, "location": "json", "message": message}]


def _policy_values(uow: SlaUnitOfWork, data: dict[str, Any], policy_id: str | None) -> dict[str, Any]:
    if data.get("calendar_id") and uow.calendars.get_row(data["calendar_id"]) is None:
        raise Unprocessable("the calendar does not exist",
                            errors=_field("calendar_id", f"no calendar {data['calendar_id']}"))
    scope = scope_key(data.get("team"), data.get("incident_type"))
    clash = uow.policies.find(scope=scope)
    if clash is not None and clash["id"] != policy_id:
        raise Conflict(f"policy {clash['name']!r} already covers this team and incident type",
                       errors=_field("team", "another policy has the same team and incident_type"))
    clash = uow.policies.find(name=data["name"])
    if clash is not None and clash["id"] != policy_id:
        raise Conflict(f"a policy named {data['name']!r} exists", errors=_field("name", "already taken"))
    return {"name": data["name"], "team": data.get("team"), "incident_type": data.get("incident_type"),
            "scope": scope, "targets": complete_targets(data.get("targets")),
            "warning_percent": float(data["warning_percent"]), "pause_on_hold": bool(data["pause_on_hold"]),
            "calendar_id": data.get("calendar_id"), "updated_at": utcnow()}


def create_policy(uow: SlaUnitOfWork, data: dict[str, Any]):
    """Store a new policy; the most specific one for an incident's team and type applies to it."""
    with uow:
        values = _policy_values(uow, data, None)
        policy_id = str(uuid.uuid4())
        uow.policies.insert({"id": policy_id, "created_at": values["updated_at"], "version": 1, **values})
        _commit(uow, "policy")
        return uow.policies.get_row(policy_id)


def replace_policy(uow: SlaUnitOfWork, policy_id: str, data: dict[str, Any]):
    """Replace a policy; clocks already running keep the copy they started with."""
    with uow:
        row = _policy(uow, policy_id)
        values = _policy_values(uow, data, policy_id)
        uow.policies.update(policy_id, {"version": row["version"] + 1, **values})
        _commit(uow, "policy")
        return uow.policies.get_row(policy_id)


def delete_policy(uow: SlaUnitOfWork, policy_id: str) -> None:
    with uow:
        _policy(uow, policy_id)
        uow.policies.delete(policy_id)
        uow.commit()


def _policy(uow: SlaUnitOfWork, policy_id: str):
    row = uow.policies.get_row(policy_id)
    if row is None:
        raise NotFound(f"no SLA policy {policy_id}")
    return row


def _calendar_values(uow: SlaUnitOfWork, data: dict[str, Any], calendar_id: str | None) -> dict[str, Any]:
    clash = uow.calendars.find(name=data["name"])
    if clash is not None and clash["id"] != calendar_id:
        raise Conflict(f"a calendar named {data['name']!r} exists", errors=_field("name", "already taken"))
    return {"name": data["name"], "timezone": data["timezone"], "windows": data["windows"],
            "holidays": sorted(d.isoformat() for d in data["holidays"]), "updated_at": utcnow()}


def create_calendar(uow: SlaUnitOfWork, data: dict[str, Any]):
    with uow:
        values = _calendar_values(uow, data, None)
        calendar_id = str(uuid.uuid4())
        uow.calendars.insert({"id": calendar_id, "created_at": values["updated_at"], "version": 1, **values})
        _commit(uow, "calendar")
        return uow.calendars.get_row(calendar_id)


def replace_calendar(uow: SlaUnitOfWork, calendar_id: str, data: dict[str, Any]):
    """Replace a calendar; it applies to incidents whose clocks start from now on."""
    with uow:
        row = _calendar(uow, calendar_id)
        values = _calendar_values(uow, data, calendar_id)
        uow.calendars.update(calendar_id, {"version": row["version"] + 1, **values})
        _commit(uow, "calendar")
        return uow.calendars.get_row(calendar_id)


def delete_calendar(uow: SlaUnitOfWork, calendar_id: str) -> None:
    with uow:
        _calendar(uow, calendar_id)
        users = uow.policies.using_calendar(calendar_id)
        if users:
            raise Conflict(f"policies {', '.join(sorted(users))} use this calendar; change them first",
                           policies=sorted(users))
        uow.calendars.delete(calendar_id)
        uow.commit()


def _calendar(uow: SlaUnitOfWork, calendar_id: str):
    row = uow.calendars.get_row(calendar_id)
    if row is None:
        raise NotFound(f"no SLA calendar {calendar_id}")
    return row


def _commit(uow: SlaUnitOfWork, what: str) -> None:
    try:
        uow.commit()
    except IntegrityError:
        # Someone else took the name or scope between our check and our write.
        raise Conflict(f"another {what} with this name or scope was just saved; reload and retry") from None
