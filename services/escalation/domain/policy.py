"""Escalation policies: which one applies to an incident, and the copy an escalation runs on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TARGET_KINDS = ("user", "schedule", "team", "team_lead")
SLA_ACTIONS = ("none", "page_team_lead", "escalate_to_parent")


@dataclass(frozen=True)
class Target:
    kind: str
    id: str


@dataclass(frozen=True)
class Step:
    targets: tuple[Target, ...]
    timeout_seconds: int


@dataclass(frozen=True)
class Policy:
    """A policy as stored; the snapshot an escalation keeps is `to_dict()` of it."""

    id: str
    name: str
    team: str
    steps: tuple[Step, ...]
    repeat: int = 0
    severities: tuple[str, ...] = ()
    incident_types: tuple[str, ...] = ()
    on_sla_warning: str = "none"
    on_sla_breach: str = "none"

    def applies_to(self, team: str | None, severity: str | None, incident_type: str | None) -> bool:
        return (self.team == team and (not self.severities or severity in self.severities)
                and (not self.incident_types or incident_type in self.incident_types))

    def specificity(self) -> int:
        return bool(self.severities) + bool(self.incident_types)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "team": self.team, "repeat": self.repeat,
                "severities": list(self.severities), "incident_types": list(self.incident_types),
                "on_sla_warning": self.on_sla_warning, "on_sla_breach": self.on_sla_breach,
                "steps": [{"targets": [{"kind": t.kind, "id": t.id} for t in s.targets],
                           "timeout_seconds": s.timeout_seconds} for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Policy:
        steps = tuple(Step(tuple(Target(t["kind"], t["id"]) for t in s["targets"]), int(s["timeout_seconds"]))
                      for s in d["steps"])
        return cls(id=d["id"], name=d["name"], team=d["team"], steps=steps, repeat=int(d.get("repeat") or 0),
                   severities=tuple(d.get("severities") or ()), incident_types=tuple(d.get("incident_types") or ()),
                   on_sla_warning=d.get("on_sla_warning") or "none", on_sla_breach=d.get("on_sla_breach") or "none")


def select_policy(policies: Iterable[Policy], team: str | None, severity: str | None,
                  incident_type: str | None) -> Policy | None:
    """The team's policy for this severity and type: the most specific match, then the first by name."""
    matches = [p for p in policies if p.applies_to(team, severity, incident_type)]
    if not matches:
        return None
    return sorted(matches, key=lambda p: (-p.specificity(), p.name))[0]
