"""The postmortem service's copy of an incident, kept from events: ordered by sequence, idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.postmortem.domain.times import instant, iso

# The snapshot fields a postmortem reads (every incident event carries them all).
INCIDENT_FIELDS = (
    "id", "reference", "title", "description", "severity", "priority", "impact", "incident_type", "detection_method",
    "status", "team", "private", "commander", "assignee", "assignee_team", "escalation_level", "resolution_code",
    "resolution_summary", "created_by", "created_at", "acknowledged_at", "started_at", "resolved_at", "closed_at",
    "reopened_at",
)
COLLECTIONS = ("impacts", "tasks", "roles")
SLA_STATES = {"warning": "warning", "breached": "breached"}
ENTRY_FIELDS = ("kind", "summary", "actor", "occurred_at", "important")


def newer(sequence: int | None, seen: int | None) -> bool:
    """Whether a fact numbered `sequence` comes after the one already applied (unnumbered facts always do)."""
    return sequence is None or seen is None or sequence > seen


@dataclass
class IncidentCopy:
    id: str
    sequence: int = 0
    incident: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, Any] = field(default_factory=dict)
    impacts: dict[str, dict] = field(default_factory=dict)
    tasks: dict[str, dict] = field(default_factory=dict)
    roles: dict[str, dict] = field(default_factory=dict)
    sla: dict[str, dict] = field(default_factory=dict)
    escalations: list[dict] = field(default_factory=list)

    def apply_snapshot(self, data: dict[str, Any], sequence: int | None) -> bool:
        """Take the snapshot if it is newer than the one held; False for a stale or repeated one."""
        if not newer(sequence, self.sequence):
            return False
        self.incident = {name: _plain(data.get(name)) for name in INCIDENT_FIELDS}
        self.sequence = sequence if sequence is not None else self.sequence
        return True

    def apply_marks(self, changes: dict[str, Any] | None, occurred_at: Any) -> None:
        """Remember when the incident first became stable (order-free: the earliest wins)."""
        status = ((changes or {}).get("status") or {}).get("new")
        when = instant(occurred_at)
        if status == "stable" and when is not None:
            current = instant(self.marks.get("stable_at"))
            if current is None or when < current:
                self.marks["stable_at"] = iso(when)

    def apply_child(self, detail: dict[str, Any] | None, sequence: int | None) -> bool:
        """Add, change or remove a task, customer impact or role named in an event's detail."""
        detail = detail or {}
        collection, item = detail.get("collection"), detail.get("item")
        if collection not in COLLECTIONS or not isinstance(item, dict) or not item.get("id"):
            return False
        items = getattr(self, collection)
        held = items.get(item["id"])
        if held is not None and not newer(sequence, held.get("sequence")):
            return False
        items[item["id"]] = {**{k: _plain(v) for k, v in item.items()}, "sequence": sequence,
                             "removed": detail.get("change") == "removed"}
        return True

    def apply_sla(self, kind: str, data: dict[str, Any], sequence: int | None) -> bool:
        """Record where a target's clock stands (warning, breached, met, met_late), newest SLA fact first."""
        key = f"{data['target']}/{data.get('cycle', 1)}"
        held = self.sla.get(key)
        if held is not None and not newer(sequence, held.get("sequence")):
            return False
        state = data.get("outcome") if kind == "met" else SLA_STATES.get(kind, kind)
        self.sla[key] = {
            "target": data["target"], "cycle": data.get("cycle", 1), "state": state, "sequence": sequence,
            "target_seconds": data.get("target_seconds"), "elapsed_seconds": data.get("elapsed_seconds"),
            "overdue_seconds": data.get("overdue_seconds"), "due_at": _plain(data.get("due_at")),
            "at": _plain(data.get("at")), "policy": data.get("policy_name"),
        }
        return True

    def apply_escalation(self, kind: str, data: dict[str, Any], event_id: str) -> bool:
        """Add a step of the escalation path once (keyed by event id), kept in time order."""
        if any(step["event_id"] == event_id for step in self.escalations):
            return False
        step = {"event_id": event_id, "kind": kind, **{k: _plain(data.get(k)) for k in (
            "at", "level", "step", "team", "users", "from_team", "to_team", "trigger", "reason", "actor")}}
        step["escalation_kind"] = data.get("kind")
        self.escalations.append(step)
        self.escalations.sort(key=lambda s: (s.get("at") or "", s["event_id"]))
        return True

    def current(self, collection: str) -> list[dict]:
        """The items of a collection not removed, in creation order."""
        items = [i for i in getattr(self, collection).values() if not i.get("removed")]
        return sorted(items, key=lambda i: (i.get("created_at") or "", i["id"]))


def merge_entry(held: dict[str, Any] | None, incoming: dict[str, Any], sequence: int | None,
                created: bool) -> dict[str, Any] | None:
    """A timeline entry after this fact, or None when the fact is stale (a newer one was applied).

    `created` says the fact is the change that wrote the entry (its time then is the original time);
    otherwise it is an edit. The original time is kept so an edited time can be shown as such."""
    entry = dict(held or {})
    if created and entry.get("original_occurred_at") is None:
        entry["original_occurred_at"] = _plain(incoming["occurred_at"])
    if held is not None and not newer(sequence, held.get("sequence")):
        return entry if entry != held else None
    entry.update({name: _plain(incoming.get(name)) for name in ENTRY_FIELDS})
    entry["important"] = bool(incoming.get("important"))
    entry["internal"] = bool(incoming.get("internal", entry.get("internal", False)))
    entry["sequence"] = sequence
    entry["id"] = incoming["id"]
    return entry


def time_edited(entry: dict[str, Any]) -> bool:
    original = instant(entry.get("original_occurred_at"))
    return original is not None and original != instant(entry.get("occurred_at"))


def timeline(entries: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    """Entries for a postmortem: important ones only or all (never internal comments), in time order."""
    chosen = [e for e in entries if not e.get("internal") and (mode == "all" or e.get("important"))]
    return sorted(chosen, key=lambda e: (instant(e["occurred_at"]), e["id"]))


def _plain(value: Any) -> Any:
    return iso(value) if hasattr(value, "tzinfo") and hasattr(value, "isoformat") else value
