"""Writing an incident's recorded changes: the row, a timeline entry each, an event each."""

from __future__ import annotations

from services.incident.adapters.timeline_repository import entry_row
from services.incident.domain.changes import IncidentChanged
from services.incident.domain.model import Incident
from services.incident.events import PREFIX
from services.incident.service_layer import metrics
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def save(uow: IncidentUnitOfWork, incident: Incident, loaded_version: int | None,
         role: dict | None = None) -> list[IncidentChanged]:
    """Persist the incident (insert when loaded_version is None, with its `role` row, then required) and everything
    it recorded. Counted in the metrics once committed.
    """
    changes = list(incident.events)
    incident.events.clear()
    recorded_at = uow.clock.now()
    if loaded_version is None:
        # The incident, its role and its first entry together: one statement on PostgreSQL.
        changes[0].entry_id = uow.incidents.add_declared(incident, role, entry_row(incident.id, changes[0],
                                                                                   recorded_at))
    else:
        uow.incidents.save(incident, loaded_version)
    snapshot = incident.snapshot()  # after the INSERT: a clash of references changes the reference
    uow.on_commit(lambda: metrics.observe(incident, changes))
    events = []
    for change in changes:
        if change.entry_id is None:
            change.entry_id = uow.timeline.record(incident.id, change, recorded_at)
        detail = dict(change.detail or {})
        if change.entry_kind == "note":
            detail["timeline_entry_id"] = change.entry_id
        entry = {"id": change.entry_id, "kind": change.entry_kind, "summary": change.summary, "actor": change.actor,
                 "occurred_at": change.occurred_at.isoformat(), "important": change.important}
        data = {**snapshot, "changes": change.changes, "actor": change.actor,
                "occurred_at": change.occurred_at.isoformat(), "reason": change.reason, "detail": detail or None,
                "timeline_entry": entry}
        events.append((f"{PREFIX}{change.kind}.v1", data, incident.id, change.sequence))
    # One INSERT for all of them (an alert's new incident has two: created and alert_received).
    if len(events) == 1:
        uow.emit(*events[0])
    else:
        uow.emit_many(events)
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
