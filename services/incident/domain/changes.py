"""Facts the incident aggregate records about itself: each becomes a timeline entry and an event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class IncidentChanged:
    """Something about an incident changed; `kind` names the event (created, resolved, task_changed…)."""

    kind: str
    summary: str
    actor: str
    occurred_at: datetime
    sequence: int
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None
    detail: dict[str, Any] | None = None
    timeline_kind: str | None = None
    important: bool = False
    entry_id: int | None = None

    @property
    def entry_kind(self) -> str:
        return self.timeline_kind or self.kind
