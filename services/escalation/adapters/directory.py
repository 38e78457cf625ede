"""Reads of teams, schedules and policies as domain objects (the configuration the chains run on)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.escalation.adapters.orm import policies, schedules, teams
from services.escalation.domain.policy import Policy
from services.escalation.domain.rotation import Layer
from services.escalation.domain.schedule import Override, Schedule

# Built once (values as parameters): every chain start reads its team's policies.
_POLICIES_OF_TEAM = select(policies).where(policies.c.team == bindparam("team"))


class Directory:
    def __init__(self, session: Session):
        self.session = session

    def team(self, name: str) -> dict[str, Any] | None:
        row = self.session.execute(select(teams).where(teams.c.name == name)).mappings().first()
        return dict(row) if row else None

    def parents(self) -> dict[str, str | None]:
        return {r.name: r.parent for r in self.session.execute(select(teams.c.name, teams.c.parent))}

    def policies_for(self, team: str) -> list[Policy]:
        rows = self.session.execute(_POLICIES_OF_TEAM, {"team": team}).mappings()
        return [policy_of(r) for r in rows]

    def schedule(self, ref: str) -> tuple[dict[str, Any], Schedule] | None:
        """A schedule by id or name: its row and its domain object."""
        for column in (schedules.c.id, schedules.c.name):
            row = self.session.execute(select(schedules).where(column == ref)).mappings().first()
            if row is not None:
                return dict(row), schedule_of(row)
        return None

    def schedules_of(self, team: str | None) -> list[tuple[dict[str, Any], Schedule]]:
        query = select(schedules).order_by(schedules.c.name)
        if team is not None:
            query = query.where(schedules.c.team == team)
        return [(dict(r), schedule_of(r)) for r in self.session.execute(query).mappings()]


def policy_of(row) -> Policy:
    return Policy.from_dict({**dict(row), "repeat": row["repeat"]})


def instant(value: str, zone: ZoneInfo) -> datetime:
    """An ISO instant; without an offset it is a wall-clock time in the schedule's zone."""
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)


def schedule_of(row) -> Schedule:
    zone = ZoneInfo(row["time_zone"])
    layers = tuple(Layer(
        name=layer["name"], participants=tuple(layer["participants"]),
        rotation=layer["rotation"] if isinstance(layer["rotation"], str) else int(layer["rotation"]["every_seconds"]),
        start=instant(layer["start"], zone), end=instant(layer["end"], zone) if layer.get("end") else None)
        for layer in row["layers"])
    overrides = tuple(Override(o["user"], instant(o["start"], zone), instant(o["end"], zone))
                      for o in row["overrides"])
    return Schedule(row["time_zone"], layers, overrides)
