"""The incident aggregate."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

PRIORITIES = ("critical", "high", "medium", "low")
SEVERITIES = ("critical", "major", "moderate", "minor", "unknown")
STATUSES = ("new", "assigned", "in_progress", "on_hold", "stable", "resolved", "closed")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(now: datetime) -> str:
    """A readable reference, INC-YYYYMMDD-XXXXXX."""
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
    return f"INC-{now:%Y%m%d}-{suffix}"


@dataclass
class IncidentCreated:
    """An incident was declared."""

    incident_id: str


@dataclass
class Incident:
    id: str
    reference: str
    title: str
    severity: str
    priority: str
    created_at: datetime
    created_by: str
    status: str = "new"
    team: str | None = None
    private: bool = False
    sequence: int = 0
    version: int = 1
    events: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def declare(cls, incident_id: str, title: str, severity: str, priority: str, created_by: str,
                now: datetime, team: str | None = None, private: bool = False) -> Incident:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")
        incident = cls(id=incident_id, reference=new_reference(now), title=title.strip(), severity=severity,
                       priority=priority, created_at=now, created_by=created_by, team=team, private=private)
        incident.sequence = 1
        incident.events.append(IncidentCreated(incident_id))
        return incident

    def visible_to(self, user_teams: tuple[str, ...], is_admin: bool) -> bool:
        return not self.private or is_admin or (self.team is not None and self.team in user_teams)
