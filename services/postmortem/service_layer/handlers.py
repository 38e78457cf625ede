"""Event handlers: incident, SLA and escalation events kept in the incident copy, in order, once."""

from __future__ import annotations

import logging
from typing import Any

from libs.common.envelope import Event
from services.postmortem.domain.projection import IncidentCopy, merge_entry
from services.postmortem.events import (
    ESCALATION_EVENTS,
    INCIDENT_RESOLVED,
    INCIDENT_TYPES,
    SLA_EVENTS,
    TIMELINE_ENTRY_CHANGED,
)
from services.postmortem.service_layer.drafts import auto_draft
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

logger = logging.getLogger(__name__)


def _copy_of(uow: PostmortemUnitOfWork, incident_id: str) -> tuple[IncidentCopy, bool]:
    copy = uow.copies.get(incident_id, lock=True)
    return (copy, False) if copy is not None else (IncidentCopy(id=incident_id), True)


def incident_changed(uow: PostmortemUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Newer snapshots replace the copy's fields; timeline entries and child items apply on their own order."""
    copy, new = _copy_of(uow, data["id"])
    fresh = copy.apply_snapshot(data, event.sequence)
    copy.apply_marks(data.get("changes"), data.get("occurred_at"))
    copy.apply_child(data.get("detail"), event.sequence)
    uow.copies.save(copy, uow.clock.now(), new)
    record_entry(uow, event, data)
    if fresh and event.type == INCIDENT_RESOLVED:
        auto_draft(uow, copy)


def record_entry(uow: PostmortemUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Copy the timeline entry the event carries (written by the change, or edited)."""
    incoming = data.get("timeline_entry")
    if not incoming or incoming.get("id") is None:
        return
    detail = data.get("detail") or {}
    item = detail.get("item") if isinstance(detail.get("item"), dict) else {}
    internal = detail.get("collection") == "comments" and item.get("visibility") == "internal"
    held = uow.timeline.get(data["id"], incoming["id"])
    merged = merge_entry(held, {**incoming, "internal": internal or bool(held and held.get("internal"))},
                         event.sequence, created=event.type != TIMELINE_ENTRY_CHANGED)
    if merged is not None:
        uow.timeline.put(data["id"], merged, new=held is None)


def sla_changed(uow: PostmortemUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Record a target's outcome (the SLA service numbers its own events per incident)."""
    copy, new = _copy_of(uow, data["incident_id"])
    if copy.apply_sla(SLA_EVENTS[event.type], data, event.sequence):
        uow.copies.save(copy, uow.clock.now(), new)


def escalation_step(uow: PostmortemUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Add a step to the escalation path; an event without an incident is logged and dropped."""
    incident_id = data.get("incident_id") or event.subject
    if not incident_id:
        logger.warning("escalation event without incident", extra={"fields": {"event_id": event.id}})
        return
    copy, new = _copy_of(uow, incident_id)
    if copy.apply_escalation(ESCALATION_EVENTS[event.type], {**data, "at": data.get("at") or event.time},
                             event.id):
        uow.copies.save(copy, uow.clock.now(), new)


def event_handlers() -> dict:
    """Handler per consumed event type."""
    return {**dict.fromkeys(INCIDENT_TYPES, incident_changed), **dict.fromkeys(SLA_EVENTS, sla_changed),
            **dict.fromkeys(ESCALATION_EVENTS, escalation_step)}
