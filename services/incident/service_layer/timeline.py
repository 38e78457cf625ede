"""Timeline handlers: notes, importance flags, back-dated notes."""

from __future__ import annotations

from datetime import datetime

from libs.common.auth import Principal
from services.incident.domain.errors import InvalidValue, NotFoundError
from services.incident.service_layer.access import load
from services.incident.service_layer.commands import AddNote
from services.incident.service_layer.publishing import announce_entry_change, save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def add_note(cmd: AddNote, uow: IncidentUnitOfWork) -> dict:
    """Add a note; `occurred_at` may lie in the past (it happened 10 minutes ago)."""
    now = uow.clock.now()
    occurred_at = cmd.occurred_at or now
    if occurred_at > now:
        raise InvalidValue("a note cannot be dated in the future", "occurred_at")
    if not cmd.text.strip():
        raise InvalidValue("text must not be blank", "text")
    with uow:
        incident = load(uow, cmd.incident_id, cmd.actor, for_update=True)
        loaded = incident.version
        change = incident.note("note_added", cmd.text.strip(), cmd.actor.user, now, timeline_kind="note",
                               important=cmd.important, detail={"text": cmd.text.strip()})
        change.occurred_at = occurred_at
        save(uow, incident, loaded)
        entry = uow.timeline.get(incident.id, change.entry_id)
        uow.commit()
    return entry


def edit_entry(uow: IncidentUnitOfWork, incident_id: str, entry_id: int, principal: Principal,
               important: bool | None = None, occurred_at: datetime | None = None, text: str | None = None) -> dict:
    """Flag any entry important (or not); re-date or re-word a note."""
    with uow:
        incident = load(uow, incident_id, principal, for_update=True)
        incident.ensure_writable()
        entry = uow.timeline.get(incident_id, entry_id)
        if entry is None:
            raise NotFoundError(f"no timeline entry {entry_id} on incident {incident_id}")
        values: dict = {}
        if important is not None:
            values["important"] = important
        if occurred_at is not None or text is not None:
            if entry["kind"] != "note":
                raise InvalidValue("only a note's time and text can be edited", "occurred_at")
            if occurred_at is not None:
                if occurred_at > uow.clock.now():
                    raise InvalidValue("a note cannot be dated in the future", "occurred_at")
                values["occurred_at"] = occurred_at
            if text is not None:
                if not text.strip():
                    raise InvalidValue("text must not be blank", "text")
                values["summary"] = text.strip()
                values["detail"] = {"text": text.strip()}
        loaded = incident.version
        if values:
            uow.timeline.change(entry_id, **values)
        updated = uow.timeline.get(incident_id, entry_id)
        if values:
            announce_entry_change(uow, incident, loaded, updated, principal.user)
        uow.commit()
    return updated
