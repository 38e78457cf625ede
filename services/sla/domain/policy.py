"""SLA policies: targets per priority, scoped to a team and/or incident type; the most specific wins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.sla.domain.calendar import Calendar

PRIORITIES = ("critical", "high", "medium", "low")
TARGETS = ("response", "resolution")
HOUR = 3600
DEFAULT_TARGETS: dict[str, dict[str, int]] = {
    "critical": {"response": 1 * HOUR, "resolution": 4 * HOUR},
    "high": {"response": 4 * HOUR, "resolution": 8 * HOUR},
    "medium": {"response": 8 * HOUR, "resolution": 24 * HOUR},
    "low": {"response": 24 * HOUR, "resolution": 72 * HOUR},
}
DEFAULT_WARNING_PERCENT = 80.0


def complete_targets(partial: dict[str, dict[str, int]] | None = None) -> dict[str, dict[str, int]]:
    """Every priority's response and resolution targets: the given ones over the defaults."""
    out = {p: dict(t) for p, t in DEFAULT_TARGETS.items()}
    for priority, targets in (partial or {}).items():
        out[priority].update(targets)
    return out


@dataclass(frozen=True)
class Policy:
    """A policy as stored: None team/incident_type means 'any'."""

    id: str
    name: str
    team: str | None = None
    incident_type: str | None = None
    targets: dict[str, dict[str, int]] = field(default_factory=complete_targets)
    warning_percent: float = DEFAULT_WARNING_PERCENT
    pause_on_hold: bool = True
    calendar_id: str | None = None

    @property
    def specificity(self) -> int:
        """team+type (3) > type (2) > team (1) > default (0)."""
        return (2 if self.incident_type is not None else 0) + (1 if self.team is not None else 0)

    def applies_to(self, team: str | None, incident_type: str | None) -> bool:
        return ((self.team is None or self.team == team)
                and (self.incident_type is None or self.incident_type == incident_type))


BUILT_IN = Policy(id="built-in", name="built-in default")


def select_policy(policies: list[Policy], team: str | None, incident_type: str | None) -> Policy:
    """The most specific policy that applies (team+type > type > team > default), else the built-in one."""
    matching = [p for p in policies if p.applies_to(team, incident_type)]
    if not matching:
        return BUILT_IN
    return max(matching, key=lambda p: (p.specificity, p.name))


@dataclass(frozen=True)
class AppliedPolicy:
    """The policy and calendar copied onto an incident's SLA record when its clocks start.

    Later edits of the policy or calendar leave running clocks alone; a priority change takes the
    new priority's targets from this copy.
    """

    policy_id: str
    name: str
    targets: dict[str, dict[str, int]]
    warning_percent: float
    pause_on_hold: bool
    calendar_id: str | None
    calendar_name: str | None
    calendar: Calendar

    @classmethod
    def of(cls, policy: Policy, calendar: Calendar, calendar_name: str | None) -> AppliedPolicy:
        return cls(policy.id, policy.name, complete_targets(policy.targets), float(policy.warning_percent),
                   policy.pause_on_hold, policy.calendar_id, calendar_name, calendar)

    def target_seconds(self, priority: str, target: str) -> int:
        return int(self.targets[priority][target])

    def warning_seconds(self, priority: str, target: str) -> float:
        return self.target_seconds(priority, target) * self.warning_percent / 100.0

    def to_dict(self) -> dict[str, Any]:
        return {"policy_id": self.policy_id, "name": self.name, "targets": self.targets,
                "warning_percent": self.warning_percent, "pause_on_hold": self.pause_on_hold,
                "calendar_id": self.calendar_id, "calendar_name": self.calendar_name,
                "calendar": self.calendar.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppliedPolicy:
        return cls(data["policy_id"], data["name"], data["targets"], float(data["warning_percent"]),
                   bool(data["pause_on_hold"]), data.get("calendar_id"), data.get("calendar_name"),
                   Calendar.from_dict(data.get("calendar")))
