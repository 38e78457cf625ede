"""Incident events in: keep the incident's copy, start, restart or stop its escalation chain."""

from __future__ import annotations

from typing import Any

from libs.common.envelope import Event
from services.escalation.adapters.timers import lock_step_timers
from services.escalation.domain.chain import ACKNOWLEDGED, STOPPED
from services.escalation.domain.incident import IncidentCopy
from services.escalation.service_layer.paging import settle, start_chain
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork


def facts_of(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot fields the copy keeps; the team paged is the assignee team, else the owning team."""
    return {"reference": data["reference"], "title": data["title"], "severity": data["severity"],
            "priority": data["priority"], "status": data["status"],
            "team": data.get("assignee_team") or data.get("team"), "private": bool(data.get("private")),
            "incident_type": data.get("incident_type"), "commander": data.get("commander"),
            "escalation_level": data.get("escalation_level") or 0,
            "acknowledged_at": data.get("acknowledged_at"), "started_at": data.get("started_at")}


def incident_changed(uow: EscalationUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Apply a newer snapshot: a new team restarts the chain; acknowledge, resolve or close stops it."""
    now = uow.now()
    incident_id = data["id"]
    # Timers, then the incident copy, then chains: the scheduler and the API lock in that order too.
    lock_step_timers(uow.session, uow.timers, uow.chains.active_ids(incident_id))
    incident = uow.incidents.get(incident_id, lock=True)
    if incident is None:
        incident = IncidentCopy(id=incident_id, created_at=data["created_at"], sequence=event.sequence or 0,
                                **facts_of(data))
        if incident.is_open and not incident.responded:
            _start(uow, incident, now, first=True)
        # One INSERT of the copy as the chain left it (first page, event sequence), not an INSERT and an UPDATE.
        # A concurrent twin still fails on the key (or on the chain's number) and is retried.
        uow.incidents.add(incident, now)
        return
    sequence = event.sequence if event.sequence is not None else incident.sequence + 1
    if sequence <= incident.sequence:
        return  # an older (or the same) fact than one already applied
    team_before, responded_before = incident.current_team, incident.responded
    incident.apply(facts_of(data), sequence)
    chains = uow.chains.active(incident_id, lock=True)
    if not incident.is_open:
        _stop(uow, incident, chains, STOPPED, f"incident {incident.status}", now)
    elif incident.current_team != team_before:
        _stop(uow, incident, chains, STOPPED, f"reassigned to {incident.current_team}", now)
        _start(uow, incident, now)
    elif incident.responded and not responded_before:
        reason = "acknowledged" if incident.acknowledged_at else "work started"
        _stop(uow, incident, chains, ACKNOWLEDGED, reason, now)
    uow.incidents.save(incident, now)


def _start(uow: EscalationUnitOfWork, incident: IncidentCopy, now, first: bool = False) -> None:
    chain = start_chain(uow, incident, now, first=first)
    if chain is not None:
        settle(uow, chain, incident, now)


def _stop(uow: EscalationUnitOfWork, incident: IncidentCopy, chains: list, status: str, reason: str, now) -> None:
    for chain in chains:
        if chain.stop(status, reason, now):
            settle(uow, chain, incident, now)
