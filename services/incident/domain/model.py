"""The incident aggregate and its workflow."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.incident.domain.changes import IncidentChanged
from services.incident.domain.errors import IncidentClosed, InvalidTransition, InvalidValue
from services.incident.domain.workflow import STATUSES, TRANSITIONS, allowed_actions, is_open

PRIORITIES = ("critical", "high", "medium", "low")
SEVERITIES = ("critical", "major", "moderate", "minor", "unknown")
CATEGORIES = ("hardware", "software", "network", "access", "other")
SOURCES = ("manual", "email", "portal", "phone", "monitoring", "api")
IMPACTS = ("enterprise", "multi_client", "single_client", "single_user")
DETECTION_METHODS = ("customer", "employee", "monitor", "other", "unknown")
RESOLUTION_CODES = ("fixed", "workaround", "not_reproducible", "user_error", "duplicate", "no_action")
CI_KINDS = ("asset", "application", "employee", "client")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_ = STATUSES  # re-exported for schemas

# Fields PATCH may change, and the event each change is reported as.
EDITABLE = {
    "title": "updated", "description": "updated", "category": "updated", "source": "updated",
    "impact": "updated", "incident_type": "updated", "team": "updated", "private": "updated",
    "detection_method": "updated", "configuration_items": "updated",
    "severity": "severity_changed", "priority": "priority_changed",
}
CHOICES = {"priority": PRIORITIES, "severity": SEVERITIES, "category": CATEGORIES, "source": SOURCES,
           "impact": IMPACTS, "detection_method": DETECTION_METHODS}


def new_reference(now: datetime) -> str:
    """A readable reference, INC-YYYYMMDD-XXXXXX."""
    # One read of the system's randomness, not six: 32 letters divide 256, so `% 32` favours none.
    suffix = "".join(_REFERENCE_ALPHABET[b % 32] for b in secrets.token_bytes(6))
    return f"INC-{now:%Y%m%d}-{suffix}"


def _check_choice(name: str, value: Any) -> None:
    if name in CHOICES and value is not None and value not in CHOICES[name]:
        raise InvalidValue(f"{name} must be one of {', '.join(CHOICES[name])}", name)


def check_configuration_items(items: list[dict]) -> None:
    if sum(1 for i in items if i.get("primary")) > 1:
        raise InvalidValue("at most one configuration item can be primary", "configuration_items")
    for item in items:
        if item.get("kind") not in CI_KINDS:
            raise InvalidValue(f"configuration item kind must be one of {', '.join(CI_KINDS)}", "configuration_items")


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
    description: str | None = None
    category: str = "other"
    source: str = "manual"
    impact: str | None = None
    detection_method: str | None = None
    incident_type: str | None = None
    team: str | None = None
    private: bool = False
    commander: str | None = None
    assignee: str | None = None
    assignee_team: str | None = None
    configuration_items: list[dict] = field(default_factory=list)
    acknowledged_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    updated_at: datetime | None = None
    detected_at: datetime | None = None  # when the monitoring saw the problem start (alert start time)
    hold_reason: str | None = None
    resolution_code: str | None = None
    resolution_summary: str | None = None
    escalation_level: int = 0
    sequence: int = 0
    version: int = 1
    events: list[IncidentChanged] = field(default_factory=list, repr=False, compare=False)

    # -- creation ---------------------------------------------------------------
    @classmethod
    def declare(cls, incident_id: str, title: str, severity: str, priority: str, created_by: str, now: datetime,
                **fields: Any) -> Incident:
        for name, value in (("severity", severity), ("priority", priority), *fields.items()):
            _check_choice(name, value)
        if not title or not title.strip():
            raise InvalidValue("title must not be blank", "title")
        check_configuration_items(fields.get("configuration_items") or [])
        incident = cls(id=incident_id, reference=new_reference(now), title=title.strip(), severity=severity,
                       priority=priority, created_at=now, created_by=created_by, updated_at=now, **fields)
        if incident.commander is None:
            incident.commander = created_by
        incident.record("created", f"Incident declared: {incident.title}", created_by, now,
                        changes={"status": {"old": None, "new": "new"}})
        return incident

    # -- bookkeeping ------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return is_open(self.status)

    def record(self, kind: str, summary: str, actor: str, now: datetime, **extra: Any) -> IncidentChanged:
        """Note a change: next sequence number, timeline entry and event to follow."""
        self.sequence += 1
        self.updated_at = now
        change = IncidentChanged(kind=kind, summary=summary, actor=actor, occurred_at=now, sequence=self.sequence,
                                 **extra)
        self.events.append(change)
        return change

    def note(self, kind: str, summary: str, actor: str, now: datetime, **extra: Any) -> IncidentChanged:
        """Record a change to something that hangs off the incident (task, impact, role, note…)."""
        self.ensure_writable()
        return self.record(kind, summary, actor, now, **extra)

    def set_commander(self, actor: str, now: datetime, user: str) -> None:
        self.ensure_writable()
        changes: dict = {}
        self._set(changes, "commander", user)
        if changes:
            self.record("role_changed", f"Commander: {user}", actor, now, changes=changes,
                        detail={"role": "commander", "user": user, "change": "assigned"})

    def ensure_writable(self) -> None:
        if self.status == "closed":
            raise IncidentClosed()

    def _transition(self, action: str) -> str:
        self.ensure_writable()
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise InvalidTransition(action, self.status, allowed_actions(self.status))
        return target or self.status

    def _set(self, changes: dict, name: str, value: Any) -> None:
        old = getattr(self, name)
        if old != value:
            changes[name] = {"old": _plain(old), "new": _plain(value)}
            setattr(self, name, value)

    # -- workflow ---------------------------------------------------------------
    def assign(self, actor: str, now: datetime, assignee: str | None, assignee_team: str | None) -> None:
        """(Re)assign to a user and/or team; a new incident becomes assigned."""
        target = self._transition("assign")
        if assignee is None and assignee_team is None:
            raise InvalidValue("give an assignee, an assignee_team or both", "assignee")
        changes: dict = {}
        self._set(changes, "assignee", assignee)
        self._set(changes, "assignee_team", assignee_team)
        self._set(changes, "status", "assigned" if self.status == "new" else target)
        who = " / ".join(x for x in (assignee, assignee_team) if x)
        self.record("assigned", f"Assigned to {who}", actor, now, changes=changes)

    def acknowledge(self, actor: str, now: datetime) -> None:
        """Someone has seen it: records time to acknowledge."""
        self._transition("acknowledge")
        if self.acknowledged_at is not None:
            raise InvalidTransition("acknowledge", f"{self.status} and already acknowledged",
                                    [a for a in allowed_actions(self.status) if a != "acknowledge"])
        changes: dict = {}
        self._set(changes, "acknowledged_at", now)
        self.record("acknowledged", f"Acknowledged by {actor}", actor, now, changes=changes)

    def start(self, actor: str, now: datetime) -> None:
        """Work starts: the first response, unless it already happened."""
        target = self._transition("start")
        changes: dict = {}
        old = self.status
        self._set(changes, "status", target)
        if self.started_at is None:
            self._set(changes, "started_at", now)
        self.record("status_changed", f"Work started ({old} → in_progress)", actor, now, changes=changes)

    def hold(self, actor: str, now: datetime, reason: str) -> None:
        target = self._transition("hold")
        if not reason or not reason.strip():
            raise InvalidValue("a reason is required to put an incident on hold", "reason")
        changes: dict = {}
        self._set(changes, "status", target)
        self._set(changes, "hold_reason", reason.strip())
        self.record("status_changed", f"On hold: {reason.strip()}", actor, now, changes=changes, reason=reason.strip())

    def resume(self, actor: str, now: datetime) -> None:
        target = self._transition("resume")
        changes: dict = {}
        self._set(changes, "status", target)
        self._set(changes, "hold_reason", None)
        self.record("status_changed", "Resumed (on_hold → in_progress)", actor, now, changes=changes)

    def stabilize(self, actor: str, now: datetime) -> None:
        target = self._transition("stabilize")
        changes: dict = {}
        self._set(changes, "status", target)
        self.record("status_changed", "Stable: mitigated, monitoring", actor, now, changes=changes)

    def resolve(self, actor: str, now: datetime, code: str, summary: str) -> None:
        target = self._transition("resolve")
        if code not in RESOLUTION_CODES:
            raise InvalidValue(f"resolution_code must be one of {', '.join(RESOLUTION_CODES)}", "resolution_code")
        if not summary or not summary.strip():
            raise InvalidValue("a resolution summary is required", "resolution_summary")
        changes: dict = {}
        self._set(changes, "status", target)
        self._set(changes, "resolution_code", code)
        self._set(changes, "resolution_summary", summary.strip())
        self._set(changes, "resolved_at", now)
        self._set(changes, "hold_reason", None)
        self.record("resolved", f"Resolved ({code}): {summary.strip()}", actor, now, changes=changes)

    def close(self, actor: str, now: datetime) -> None:
        target = self._transition("close")
        changes: dict = {}
        self._set(changes, "status", target)
        self._set(changes, "closed_at", now)
        self.record("closed", "Closed", actor, now, changes=changes)

    def reopen(self, actor: str, now: datetime, reason: str) -> None:
        target = self._transition("reopen")
        if not reason or not reason.strip():
            raise InvalidValue("a reason is required to reopen an incident", "reason")
        changes: dict = {}
        self._set(changes, "status", target)
        self._set(changes, "reopened_at", now)
        self._set(changes, "resolved_at", None)
        self._set(changes, "resolution_code", None)
        self._set(changes, "resolution_summary", None)
        self.record("reopened", f"Reopened: {reason.strip()}", actor, now, changes=changes, reason=reason.strip())

    # -- edits --------------------------------------------------------------------
    def update(self, actor: str, now: datetime, **fields: Any) -> None:
        """Change descriptive fields; severity and priority changes are reported on their own."""
        self.ensure_writable()
        by_kind: dict[str, dict] = {}
        for name, value in fields.items():
            if name not in EDITABLE:
                raise InvalidValue(f"{name} cannot be changed here", name)
            _check_choice(name, value)
            if name == "title" and (not value or not str(value).strip()):
                raise InvalidValue("title must not be blank", "title")
            if name == "configuration_items":
                check_configuration_items(value or [])
            self._set(by_kind.setdefault(EDITABLE[name], {}), name, value)
        for kind, changes in by_kind.items():
            if not changes:
                continue
            summary = "; ".join(f"{k}: {v['old']} → {v['new']}" for k, v in changes.items()
                                if k != "configuration_items") or "configuration items changed"
            self.record(kind, summary, actor, now, changes=changes)

    def snapshot(self) -> dict[str, Any]:
        """The incident's state as events carry it."""
        names = ("id", "reference", "title", "description", "category", "source", "severity", "priority", "impact",
                 "incident_type", "detection_method", "status", "team", "private", "commander", "assignee",
                 "assignee_team", "escalation_level", "resolution_code", "resolution_summary", "hold_reason",
                 "created_by", "created_at", "acknowledged_at", "started_at", "resolved_at", "closed_at", "reopened_at")
        return {name: _plain(getattr(self, name)) for name in names}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
