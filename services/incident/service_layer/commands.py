"""Commands the incident service accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.common.auth import Principal


@dataclass(frozen=True)
class DeclareIncident:
    """Declare a new incident."""

    title: str
    severity: str
    priority: str
    declared_by: Principal
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PerformAction:
    """Move an incident through its workflow (assign, acknowledge, start, hold, …)."""

    incident_id: str
    action: str
    actor: Principal
    payload: dict[str, Any] = field(default_factory=dict)
    expected_version: int | None = None


@dataclass(frozen=True)
class UpdateIncident:
    """Change an incident's descriptive fields, severity or priority."""

    incident_id: str
    actor: Principal
    fields: dict[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class AddNote:
    """Add a note to the timeline, possibly dated in the past."""

    incident_id: str
    actor: Principal
    text: str
    occurred_at: datetime | None = None
    important: bool = False
