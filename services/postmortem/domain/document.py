"""A postmortem document: sections generated from the incident copy, editable text, its lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.postmortem.domain.errors import Refused
from services.postmortem.domain.projection import IncidentCopy, time_edited, timeline
from services.postmortem.domain.times import (
    durations,
    format_duration,
    format_instant,
    instant,
    iso,
    key_times,
    seconds_between,
    total_seconds,
)

STATUSES = ("draft", "in_review", "published")
EDITABLE_STATUSES = ("draft", "in_review")
TIMELINE_MODES = ("important", "all")
TEXT_FIELDS = ("summary", "root_cause", "detection_method", "went_well", "went_wrong")
FINISHED = ("resolved", "closed")


def check_generatable(copy: IncidentCopy | None, incident_id: str) -> IncidentCopy:
    """A postmortem needs an incident known from its events and resolved (or closed)."""
    if copy is None or not copy.incident:
        raise Refused(f"no incident {incident_id} is known to the postmortem service", 404, "incident_id")
    if copy.incident.get("status") not in FINISHED:
        raise Refused(f"incident {incident_id} is {copy.incident.get('status')}: a postmortem needs it resolved",
                      409, "incident_id")
    return copy


def check_editable(status: str) -> None:
    if status not in EDITABLE_STATUSES:
        raise Refused(f"a {status} postmortem cannot be changed (only draft and in_review ones)", 409, "status")


def next_status(status: str, action: str) -> str:
    """draft -> in_review (review); draft or in_review -> published (publish); in_review -> draft (rework)."""
    moves = {"review": (("draft",), "in_review"), "publish": (EDITABLE_STATUSES, "published"),
             "rework": (("in_review",), "draft")}
    sources, target = moves[action]
    if status not in sources:
        raise Refused(f"cannot {action} a {status} postmortem", 409, "status")
    return target


def build_sections(copy: IncidentCopy, entries: list[dict[str, Any]], mode: str, now: datetime) -> dict[str, Any]:
    """Every generated section, from the copy as it stands; `now` ends impacts still open."""
    incident = copy.incident
    times = key_times(incident, copy.marks)
    until = times["resolved"] or now
    windows, spans = [], []
    for impact in copy.current("impacts"):
        start, end = instant(impact.get("start_at")), instant(impact.get("end_at"))
        if start is None:
            continue
        spans.append((start, max(start, end or until)))
        windows.append({"start_at": iso(start), "end_at": iso(end), "description": impact.get("description"),
                        "duration_seconds": seconds_between(start, end or until)})
    spent = durations(times)
    return {
        "incident": {k: incident.get(k) for k in (
            "id", "reference", "title", "description", "severity", "priority", "team", "private", "commander",
            "incident_type", "status", "resolution_code", "resolution_summary", "detection_method")},
        "customer_impact": {"windows": windows, "total_seconds": total_seconds(spans)},
        "key_times": {name: iso(value) for name, value in times.items()},
        "durations": spent,
        "sla": [{k: v for k, v in outcome.items() if k != "sequence"}
                for outcome in sorted(copy.sla.values(), key=lambda o: (o["target"], o["cycle"]))],
        "escalation_path": [{k: v for k, v in step.items() if k != "event_id"} for step in copy.escalations],
        "timeline_mode": mode,
        "timeline": [{"id": e["id"], "occurred_at": iso(instant(e["occurred_at"])), "kind": e["kind"],
                      "summary": e["summary"], "actor": e.get("actor"), "important": bool(e.get("important")),
                      "time_edited": time_edited(e),
                      "original_occurred_at": iso(instant(e.get("original_occurred_at")))}
                     for e in timeline(entries, mode)],
        "tasks": [{k: t.get(k) for k in ("id", "description", "assignee", "status", "phase", "due_at")}
                  for t in copy.current("tasks")],
        "roles": [{"role": r.get("role"), "user": r.get("user")} for r in copy.current("roles")],
        "generated_at": iso(now),
    }


def default_text(sections: dict[str, Any]) -> dict[str, str]:
    """Text a team starts from; what they edit replaces it and survives regeneration."""
    incident, spent = sections["incident"], sections["durations"]
    summary = (f"{incident['title']} ({incident['severity']}, {incident['priority']} priority) was detected at "
               f"{format_instant(sections['key_times']['detected'])} and resolved at "
               f"{format_instant(sections['key_times']['resolved'])}, "
               f"after {format_duration(spent['time_to_resolve'])}.")
    if incident.get("description"):
        summary += f" {incident['description']}"
    return {"summary": summary, "root_cause": incident.get("resolution_summary") or "",
            "detection_method": incident.get("detection_method") or "", "went_well": "", "went_wrong": ""}


def document_text(sections: dict[str, Any], edited: dict[str, str]) -> dict[str, str]:
    """The text fields: edited ones as written, the others from the generated defaults."""
    defaults = default_text(sections)
    return {name: edited[name] if name in edited else defaults[name] for name in TEXT_FIELDS}
