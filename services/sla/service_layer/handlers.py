"""Event and timer handlers of the sla service: incident facts in, SLA clocks, timers and events out."""

from __future__ import annotations

import logging
from typing import Any

from libs.common.envelope import Event
from libs.common.log import log
from libs.common.projection import record_incident
from libs.common.timers import Timer
from services.sla.adapters import metrics
from services.sla.adapters.orm import known_incidents
from services.sla.domain.calendar import ALWAYS
from services.sla.domain.model import BREACHED, MET, TIMER_KINDS, WARNING, IncidentFacts, IncidentSla
from services.sla.domain.policy import TARGETS, AppliedPolicy, select_policy
from services.sla.events import CATALOG, INCIDENT_CREATED, SLA_BREACHED, SLA_MET, SLA_WARNING
from services.sla.service_layer.unit_of_work import SlaUnitOfWork

EVENT_TYPES = {WARNING: SLA_WARNING, BREACHED: SLA_BREACHED, MET: SLA_MET}
KIND_OF_TIMER = {timer_kind: kind for kind, timer_kind in TIMER_KINDS.items()}
_record_known = record_incident(known_incidents)
logger = logging.getLogger(__name__)


def facts_of(event: Event, data: dict[str, Any]) -> IncidentFacts:
    """The incident facts of an event's snapshot; when it changed falls back to created_at, then ce-time."""
    occurred = data.get("occurred_at") or (data["created_at"] if event.type == INCIDENT_CREATED else event.time)
    return IncidentFacts(
        id=data["id"], priority=data["priority"], status=data.get("status") or "new", created_at=data["created_at"],
        reference=data["reference"], title=data["title"], team=data.get("team"),
        incident_type=data.get("incident_type"), private=bool(data.get("private")),
        acknowledged_at=data.get("acknowledged_at"), started_at=data.get("started_at"),
        resolved_at=data.get("resolved_at"), closed_at=data.get("closed_at"), reopened_at=data.get("reopened_at"),
        occurred_at=occurred, sequence=event.sequence)


def applied_policy(uow: SlaUnitOfWork, team: str | None, incident_type: str | None) -> AppliedPolicy:
    """The most specific policy for team and type, with its calendar, as copied onto a new record."""
    policy = select_policy(uow.policies.all(), team, incident_type)
    found = uow.calendars.get(policy.calendar_id) if policy.calendar_id else None
    calendar, name = found if found else (ALWAYS, None)
    return AppliedPolicy.of(policy, calendar, name)


def timer_keys(incident_id: str) -> list[tuple[str, str]]:
    return [(kind, f"{incident_id}/{target}") for kind in TIMER_KINDS.values() for target in TARGETS]


def incident_changed(uow: SlaUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Start, advance, pause, complete or cancel the incident's clocks to match its snapshot."""
    _record_known(uow, event, data)
    now = uow.clock.now()
    facts = facts_of(event, data)
    # Timers first, then the record: the scheduler locks in that order too.
    existing = uow.timers.lock(uow.session, timer_keys(facts.id))
    sla = uow.slas.get(facts.id, lock=True)
    if sla is None:
        sla = IncidentSla.open(facts, applied_policy(uow, facts.team, facts.incident_type), now)
        uow.slas.add(sla)
    elif sla.apply(facts, now):
        uow.slas.save(sla)
    else:
        return  # an older snapshot than one already applied
    publish(uow, [sla])
    sync_timers(uow, sla, existing)


def sync_timers(uow: SlaUnitOfWork, sla: IncidentSla, existing: dict) -> None:
    """Schedule, move or cancel the incident's timers to match its clocks."""
    for plan in sla.timer_plan():
        current = existing.get((plan.kind, plan.key))
        if plan.due_at is None:
            if current is not None:
                uow.timers.cancel(uow.session, plan.kind, plan.key)
        elif current is None or current[0] != plan.due_at or current[1] != plan.payload:
            uow.timers.schedule(uow.session, plan.kind, plan.key, plan.due_at, plan.payload)


def timer_fired(uow: SlaUnitOfWork, timer: Timer) -> None:
    """Announce a warning or breach, unless the clock changed since the timer was set (then do nothing)."""
    timers_fired(uow, [timer])


def timers_fired(uow: SlaUnitOfWork, timers: list[Timer]) -> None:
    """Fire a batch of warning and breach timers in due order: one lock, load, update and insert for all."""
    slas = uow.slas.get_many(sorted({t.payload["incident_id"] for t in timers}), lock=True)
    now = uow.clock.now()
    fired = {}
    for timer in timers:
        payload = timer.payload
        sla = slas.get(payload["incident_id"])
        kind = KIND_OF_TIMER[timer.kind]
        if sla is not None and sla.fire(kind, payload["target"], payload["cycle"], payload["version"], now):
            fired[(sla.incident_id, payload["target"], payload["cycle"])] = (
                sla, sla.clock(payload["target"], payload["cycle"]))
            late = max(0.0, (now - timer.due_at).total_seconds())
            uow.on_commit(lambda k=kind, s=late: metrics.sla_announcement_lateness.labels(k).observe(s))
    uow.slas.mark(list(fired.values()))
    publish(uow, [sla for sla in slas.values() if sla.announcements])


def publish(uow: SlaUnitOfWork, slas: list[IncidentSla]) -> None:
    """Put the records' announcements in the outbox and count them once committed."""
    events = []
    for sla in slas:
        for item in sla.announcements:
            events.append((EVENT_TYPES[item.kind], item.data, sla.incident_id, item.sequence))
            uow.on_commit(lambda d=item.data, k=item.kind: _count(k, d))
        sla.announcements.clear()
    uow.emit_many(events)


def _count(kind: str, data: dict[str, Any]) -> None:
    target, priority = data["target"], data["priority"]
    if kind in (WARNING, BREACHED):
        log(logger, logging.INFO, f"SLA {'breached' if kind == BREACHED else 'warning'}: {priority} {target} target",
            incident_id=data.get("incident_id"), target=target, priority=priority, kind=kind)
    if kind == BREACHED:
        metrics.sla_breaches.labels(target, priority).inc()
        metrics.sla_evaluations.labels(target, priority, "breached").inc()
    elif kind == MET and data["outcome"] == "met":
        metrics.sla_evaluations.labels(target, priority, "met").inc()


def event_handlers() -> dict:
    """Handler per consumed event type: every incident event carries the full snapshot."""
    return dict.fromkeys(CATALOG.consumes, incident_changed)


def timer_handlers() -> dict:
    """Handler per timer kind (one timer at a time)."""
    return dict.fromkeys(TIMER_KINDS.values(), timer_fired)


def batch_timer_handlers() -> dict:
    """Handler per timer kind, for a whole claimed batch at once."""
    return dict.fromkeys(TIMER_KINDS.values(), timers_fired)
