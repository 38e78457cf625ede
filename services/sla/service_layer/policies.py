"""SLA policies and calendars as named resources, with the conflicts they can meet."""

from __future__ import annotations

from typing import Any

from libs.common.resources import Change, Resource, conflict, invalid
from services.sla.adapters.orm import calendars, policies
from services.sla.adapters.repository import scope_key
from services.sla.domain.policy import complete_targets


def _policy_values(change: Change) -> dict[str, Any]:
    """A policy's stored values; its calendar must exist and no other policy may cover its team and type."""
    uow, data = change.uow, change.values
    if data.get("calendar_id") and CALENDARS.find_in(uow, data["calendar_id"]) is None:
        raise invalid("calendar_id", f"no calendar {data['calendar_id']}", "the calendar does not exist")
    scope = scope_key(data.get("team"), data.get("incident_type"))
    clash = uow.policies.find(scope=scope)
    if clash is not None and (change.current is None or clash["id"] != change.current["id"]):
        raise conflict("team", "another policy has the same team and incident_type",
                       f"policy {clash['name']!r} already covers this team and incident type")
    return {"name": data["name"], "team": data.get("team"), "incident_type": data.get("incident_type"),
            "scope": scope, "targets": complete_targets(data.get("targets")),
            "warning_percent": float(data["warning_percent"]), "pause_on_hold": bool(data["pause_on_hold"]),
            "calendar_id": data.get("calendar_id")}


def _calendar_values(change: Change) -> dict[str, Any]:
    data = change.values
    return {"name": data["name"], "timezone": data["timezone"], "windows": data["windows"],
            "holidays": sorted(d.isoformat() for d in data["holidays"])}


def _calendar_unused(change: Change) -> None:
    users = change.uow.policies.using_calendar(change.current["id"])
    if users:
        raise conflict("id", "policies use this calendar",
                       f"policies {', '.join(sorted(users))} use this calendar; change them first",
                       policies=sorted(users))


# Clocks already running keep the copy of a policy and calendar they started with: no event on change.
POLICIES = Resource(policies, "SLA policy", validate=_policy_values, plural="SLA policies")
CALENDARS = Resource(calendars, "SLA calendar", validate=_calendar_values, before_delete=_calendar_unused)
