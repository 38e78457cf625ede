"""Writing an incident's recorded changes: the row, a timeline entry each, an event each."""

from __future__ import annotations

from services.incident.domain.changes import IncidentChanged
from services.incident.domain.model import Incident
from services.incident.events import PREFIX
from services.incident.service_layer import metrics
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def save(uow: IncidentUnitOfWork, incident: Incident, loaded_version: int | None) -> list[IncidentChanged]:
    """Persist the incident (insert when loaded_version is None) and everything it recorded; count it once committed."""
    if loaded_version is None:
        uow.incidents.add(incident)
    else:
        uow.incidents.save(incident, loaded_version)
    changes = list(incident.events)
    incident.events.clear()
    snapshot = incident.snapshot()
    recorded_at = uow.clock.now()
    uow.on_commit(lambda: metrics.observe(incident, changes))
    for change in changes:
        change.entry_id = uow.timeline.record(incident.id, change, recorded_at)
        detail = dict(change.detail or {})
        if change.entry_kind == "note":
            detail["timeline_entry_id"] = change.entry_id
        entry = {"id": change.entry_id, "kind": change.entry_kind, "summary": change.summary, "actor": change.actor,
                 "occurred_at": change.occurred_at.isoformat(), "important": change.important}
        data = {**snapshot, "changes": change.changes, "actor": change.actor,
                "occurred_at": change.occurred_at.isoformat(), "reason": change.reason, "detail": detail or None,
                "timeline_entry": entry}
        uow.emit(f"{PREFIX}{change.kind}.v1", data, subject=incident.id, sequence=change.sequence)
    return changes


def announce_entry_change(uow: IncidentUnitOfWork, incident: Incident, loaded_version: int, entry: dict,
                          actor: str) -> None:
    """Publish an edited timeline entry under the incident's next sequence (no new entry is written)."""
    incident.sequence += 1
    uow.incidents.save(incident, loaded_version)
    now = uow.clock.now()
    view = {"id": entry["id"], "kind": entry["kind"], "summary": entry["summary"], "actor": entry.get("actor"),
            "occurred_at": entry["occurred_at"].isoformat(), "important": bool(entry["important"])}
    data = {**incident.snapshot(), "changes": {}, "actor": actor, "occurred_at": now.isoformat(), "reason": None,
            "detail": None, "timeline_entry": view}
    uow.emit(f"{PREFIX}timeline_entry_changed.v1", data, subject=incident.id, sequence=incident.sequence)
