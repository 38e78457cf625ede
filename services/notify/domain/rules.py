"""Notification rules: which events, for which incidents, to whom; and the event names rules use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# firebreak event type -> the short name a rule lists
EVENT_NAMES = {
    "firebreak.incident.created.v1": "declared",
    "firebreak.incident.updated.v1": "updated",
    "firebreak.incident.status_changed.v1": "status_changed",
    "firebreak.incident.assigned.v1": "assigned",
    "firebreak.incident.acknowledged.v1": "acknowledged",
    "firebreak.incident.priority_changed.v1": "priority_changed",
    "firebreak.incident.severity_changed.v1": "severity_changed",
    "firebreak.incident.resolved.v1": "resolved",
    "firebreak.incident.closed.v1": "closed",
    "firebreak.incident.reopened.v1": "reopened",
    "firebreak.escalation.escalated.v1": "escalated",
    "firebreak.sla.warning.v1": "sla_warning",
    "firebreak.sla.breached.v1": "sla_breached",
    "firebreak.postmortem.published.v1": "postmortem_published",
}
RULE_EVENTS = tuple(dict.fromkeys(EVENT_NAMES.values()))


@dataclass(frozen=True)
class Rule:
    """Empty filter lists mean 'any'."""

    id: str
    name: str
    event_types: tuple[str, ...]
    recipients: tuple[dict[str, Any], ...]
    severities: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    incident_types: tuple[str, ...] = ()
    template_id: str | None = None
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def matches(self, event_name: str, incident: dict[str, Any]) -> bool:
        """True if the rule announces `event_name` about this incident."""
        if not self.enabled or event_name not in self.event_types:
            return False
        return (_any(self.severities, incident.get("severity")) and _any(self.priorities, incident.get("priority"))
                and _any(self.teams, incident.get("team"))
                and _any(self.incident_types, incident.get("incident_type")))


def _any(allowed: tuple[str, ...], value: str | None) -> bool:
    return not allowed or value in allowed


def matching(rules: list[Rule], event_name: str, incident: dict[str, Any]) -> list[Rule]:
    """The rules announcing this event, by name."""
    return sorted((r for r in rules if r.matches(event_name, incident)), key=lambda r: r.name)
