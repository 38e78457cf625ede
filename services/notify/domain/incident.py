"""The notify service's own copy of an incident, fed by incident events and guarded by their sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What an incident snapshot sets (links come with escalation's pages, normalized).
FIELDS = ("reference", "title", "severity", "priority", "status", "team", "incident_type", "private", "commander")
CLOSED_STATUSES = ("resolved", "closed")


def normalize_links(links: Any, base_url: str = "") -> list[dict[str, str]]:
    """Links as `[{"title", "url"}]` from a map, URLs or such dicts; paths become absolute on `base_url`."""
    if isinstance(links, dict):
        items = [{"title": str(k), "url": str(v)} for k, v in links.items()]
    elif isinstance(links, list):
        items = [{"title": str(x.get("title") or x.get("url") or ""), "url": str(x.get("url") or "")}
                 if isinstance(x, dict) else {"title": str(x), "url": str(x)} for x in links]
    else:
        items = []
    for item in items:
        if item["url"].startswith("/"):
            item["url"] = base_url.rstrip("/") + item["url"]
    return [item for item in items if item["url"]][:20]


@dataclass
class IncidentCopy:
    """What notify knows of an incident: enough to match rules, render messages and check visibility."""

    id: str
    reference: str = ""
    title: str = ""
    severity: str = "unknown"
    priority: str = "medium"
    status: str = "new"
    team: str | None = None
    incident_type: str | None = None
    private: bool = False
    commander: str | None = None
    links: list[Any] = field(default_factory=list)
    acknowledged: bool = False
    sequence: int = 0

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], sequence: int | None) -> IncidentCopy:
        """A copy of an incident event's snapshot."""
        copy = cls(id=data.get("id") or data["incident_id"])
        copy.apply(data, sequence, force=True)
        return copy

    def apply(self, data: dict[str, Any], sequence: int | None, force: bool = False) -> bool:
        """Take a newer snapshot's fields; False (and no change) if `sequence` is not above the last applied."""
        if not force and sequence is not None and sequence <= self.sequence:
            return False
        for name in FIELDS:
            if name in data and data[name] is not None:
                setattr(self, name, data[name])
            elif name in ("team", "incident_type", "commander") and name in data:
                setattr(self, name, None)
        self.private = bool(self.private)
        if "acknowledged_at" in data:
            self.acknowledged = _after(data["acknowledged_at"], data.get("reopened_at"))
        if sequence is not None:
            self.sequence = max(self.sequence, sequence)
        return True

    @property
    def settled(self) -> bool:
        """Acknowledged, resolved or closed: nobody needs paging about it any more."""
        return self.acknowledged or self.status in CLOSED_STATUSES

    def view(self) -> dict[str, Any]:
        """The incident as templates and message bodies see it."""
        # By hand, not dataclasses.asdict: a page renders it several times, and asdict deep-copies each field.
        return {"id": self.id, "reference": self.reference, "title": self.title, "severity": self.severity,
                "priority": self.priority, "status": self.status, "team": self.team,
                "incident_type": self.incident_type, "private": self.private, "commander": self.commander,
                "links": copy_json(self.links), "acknowledged": self.acknowledged}


def copy_json(value: Any) -> Any:
    """A copy of JSON-like data (lists and dicts copied all the way down), as dataclasses.asdict makes."""
    if isinstance(value, dict):
        return type(value)((copy_json(k), copy_json(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value)(copy_json(v) for v in value)
    return value


def _after(acknowledged_at: str | None, reopened_at: str | None) -> bool:
    """Acknowledged, and not reopened since (a reopened incident needs acknowledging again)."""
    if acknowledged_at is None:
        return False
    if not reopened_at:
        return True
    try:
        return datetime.fromisoformat(acknowledged_at) >= datetime.fromisoformat(reopened_at)
    except (TypeError, ValueError):
        return True
