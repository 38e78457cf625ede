"""The escalation service's own copy of an incident: what paging and escalating need to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CLOSED_STATUSES = ("resolved", "closed")


@dataclass
class IncidentCopy:
    id: str
    reference: str
    title: str
    severity: str
    priority: str
    status: str
    team: str | None  # the incident's assignee team, else its owning team
    private: bool
    created_at: datetime
    sequence: int
    incident_type: str | None = None
    commander: str | None = None
    escalation_level: int = 0
    acknowledged_at: datetime | None = None
    started_at: datetime | None = None
    first_paged_at: datetime | None = None
    # An escalation this service made that the incident has not confirmed yet (by raising its level).
    pending_team: str | None = None
    pending_level: int = 0
    event_sequence: int = 0  # this service's own sequence of events about the incident

    def next_sequence(self) -> int:
        self.event_sequence += 1
        return self.event_sequence

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def responded(self) -> bool:
        """Someone acknowledged it or started work on it."""
        return self.acknowledged_at is not None or self.started_at is not None

    @property
    def current_team(self) -> str | None:
        return self.pending_team if self.pending_team is not None else self.team

    @property
    def level(self) -> int:
        return max(self.escalation_level, self.pending_level)

    def apply(self, facts: dict[str, Any], sequence: int) -> None:
        """Take a newer snapshot; an escalation the incident now shows is no longer pending."""
        for name in ("reference", "title", "severity", "priority", "status", "team", "private", "incident_type",
                     "commander", "escalation_level", "acknowledged_at", "started_at"):
            setattr(self, name, facts[name])
        self.sequence = sequence
        if self.pending_team is not None and self.escalation_level >= self.pending_level:
            self.pending_team, self.pending_level = None, 0

    def escalate(self, to_team: str, level: int) -> None:
        """Note an escalation before the incident confirms it, so a second one starts from here."""
        self.pending_team, self.pending_level = to_team, level

    def summary(self) -> dict[str, Any]:
        """What a page says about the incident."""
        return {"id": self.id, "reference": self.reference, "title": self.title, "severity": self.severity,
                "priority": self.priority, "status": self.status, "team": self.current_team,
                "commander": self.commander, "private": self.private}
