"""Writing an incident's recorded changes: the row, a timeline entry each, an event each."""

from __future__ import annotations

from libs.common.envelope import utcnow
from services.incident.domain.changes import IncidentChanged
from services.incident.domain.model import Incident
from services.incident.events import PREFIX
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def save(uow: IncidentUnitOfWork, incident: Incident, loaded_version: int | None) -> list[IncidentChanged]:
    """Persist the incident (insert when loaded_version is None) and everything it recorded."""
    if loaded_version is None:
        uow.incidents.add(incident)
    else:
        uow.incidents.save(incident, loaded_version)
    changes = list(incident.events)
    incident.events.clear()
    snapshot = incident.snapshot()
    recorded_at = utcnow()
    for change in changes:
        change.entry_id = uow.timeline.record(incident.id, change, recorded_at)
        detail = dict(change.detail or {})
        if change.entry_kind == "note":
            detail["timeline_entry_id"] = change.entry_id
        data = {**snapshot, "changes": change.changes, "actor": change.actor,
                "occurred_at": change.occurred_at.isoformat(), "reason": change.reason, "detail": detail or None}
        uow.emit(f"{PREFIX}{change.kind}.v1", data, subject=incident.id, sequence=change.sequence)
    return changes
