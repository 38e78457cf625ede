"""Teams, schedules and escalation policies as named resources: the checks and events of each write."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libs.common.instants import RANGE_MESSAGE, in_range
from libs.common.resources import Change, Resource, conflict, invalid
from services.escalation.adapters import orm
from services.escalation.adapters.directory import Directory, instant
from services.escalation.domain.teams import HierarchyCycle, check_parent
from services.escalation.events import TEAM_CHANGED, TEAM_DELETED


def _now(change: Change) -> datetime:
    return change.uow.clock.now()


# -- teams ------------------------------------------------------------------------------------------
def _check_team(change: Change) -> dict[str, Any]:
    values = change.values
    name, parent = values["name"], values.get("parent")
    if change.current is not None and change.current["name"] != name:
        raise invalid("name", "a team keeps its name (other teams, schedules and policies refer to it)")
    users = [m["user"] for m in values["members"]]
    if len(set(users)) != len(users):
        raise invalid("members", "a user is listed twice")
    directory = Directory(change.uow.session)
    parents = directory.parents()
    if parent is not None and parent not in parents:
        raise invalid("parent", f"no team {parent!r}")
    try:
        check_parent(parents, name, parent)
    except HierarchyCycle as exc:
        raise invalid("parent", f"that would make a cycle: {exc}") from None
    return {"name": name, "parent": parent, "members": values["members"]}


def _announce_team(change: Change) -> None:
    if change.action == "delete":
        name = change.current["name"]
        change.uow.emit(TEAM_DELETED, {"name": name, "at": _now(change).isoformat()}, subject=f"team/{name}")
        return
    row = change.row
    change.uow.emit(TEAM_CHANGED, {"name": row["name"], "parent": row["parent"], "members": row["members"],
                                   "version": row["version"], "at": _now(change).isoformat()},
                    subject=f"team/{row['name']}", sequence=row["version"])


def _team_in_use(change: Change) -> None:
    name = change.current["name"]
    directory = Directory(change.uow.session)
    children = sorted(t for t, p in directory.parents().items() if p == name)
    if children:
        raise conflict("name", f"team {name!r} is the parent of {', '.join(children)}", children=children)
    policies = sorted(p.name for p in directory.policies_for(name))
    if policies:
        raise conflict("name", f"team {name!r} has escalation policies: {', '.join(policies)}", policies=policies)


TEAMS = Resource(orm.teams, "team", lookup=("name",), validate=_check_team, on_change=_announce_team,
                 before_delete=_team_in_use)


# -- schedules ------------------------------------------------------------------------------------------
def _check_schedule(change: Change) -> dict[str, Any]:
    values = change.values
    try:
        zone = ZoneInfo(values["time_zone"])
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise invalid("time_zone", f"unknown IANA time zone {values['time_zone'][:100]!r}") from None
    if values.get("team") and Directory(change.uow.session).team(values["team"]) is None:
        raise invalid("team", f"no team {values['team']!r}")
    layers = [_layer(i, layer, zone) for i, layer in enumerate(values["layers"])]
    overrides = []
    for i, override in enumerate(values.get("overrides") or []):
        start, end = (_instant(f"overrides.{i}.{k}", override[k], zone) for k in ("start", "end"))
        if end <= start:
            raise invalid(f"overrides.{i}.end", "an override ends after it starts")
        overrides.append({"user": override["user"], "start": start, "end": end})
    return {"name": values["name"], "team": values.get("team"), "time_zone": values["time_zone"],
            "layers": layers, "overrides": overrides}


def _layer(i: int, layer: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    rotation = layer["rotation"]
    if isinstance(rotation, dict):
        seconds = rotation.get("every_seconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 60:
            raise invalid(f"layers.{i}.rotation", "every_seconds must be a whole number of seconds, at least 60")
        rotation = {"every_seconds": seconds}
    elif rotation not in ("daily", "weekly"):
        raise invalid(f"layers.{i}.rotation", 'one of "daily", "weekly" or {"every_seconds": N}')
    start = _instant(f"layers.{i}.start", layer["start"], zone)
    end = _instant(f"layers.{i}.end", layer["end"], zone) if layer.get("end") else None
    if end is not None and end <= start:
        raise invalid(f"layers.{i}.end", "a layer ends after it starts")
    return {"name": layer["name"], "participants": list(layer["participants"]), "rotation": rotation,
            "start": start, "end": end}


def _instant(field_name: str, value: Any, zone: ZoneInfo) -> str:
    """Keep the instant as given (wall-clock in the schedule's zone when it has no offset), checked."""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        parsed = instant(text, zone)
    except (ValueError, OverflowError):
        raise invalid(field_name, "not an ISO 8601 date-time") from None
    if not in_range(parsed):  # rotations and shifts are computed from it: keep far from datetime's ends
        raise invalid(field_name, RANGE_MESSAGE)
    return text


SCHEDULES = Resource(orm.schedules, "schedule", lookup=("id", "name"), validate=_check_schedule)


# -- escalation policies ----------------------------------------------------------------------------
def _check_policy(change: Change) -> dict[str, Any]:
    values = change.values
    directory = Directory(change.uow.session)
    if directory.team(values["team"]) is None:
        raise invalid("team", f"no team {values['team']!r}")
    for i, step in enumerate(values["steps"]):
        for j, target in enumerate(step["targets"]):
            where = f"steps.{i}.targets.{j}.id"
            if target["kind"] == "schedule" and directory.schedule(target["id"]) is None:
                raise invalid(where, f"no schedule {target['id']!r}")
            if target["kind"] in ("team", "team_lead") and directory.team(target["id"]) is None:
                raise invalid(where, f"no team {target['id']!r}")
    return {"name": values["name"], "team": values["team"], "severities": list(values.get("severities") or []),
            "incident_types": list(values.get("incident_types") or []), "steps": values["steps"],
            "repeat": values.get("repeat") or 0, "on_sla_warning": values.get("on_sla_warning") or "none",
            "on_sla_breach": values.get("on_sla_breach") or "none"}


POLICIES = Resource(orm.policies, "escalation policy", lookup=("id", "name"), validate=_check_policy,
                    plural="escalation policies")
