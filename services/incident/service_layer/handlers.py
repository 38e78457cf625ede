"""Command handlers of the incident service."""

from __future__ import annotations

import uuid

from libs.common.envelope import utcnow
from services.incident.domain.model import Incident, IncidentCreated
from services.incident.events import INCIDENT_CREATED
from services.incident.service_layer.commands import DeclareIncident
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def declare_incident(cmd: DeclareIncident, uow: IncidentUnitOfWork) -> Incident:
    """Store a new incident and emit incident.created in the same transaction."""
    with uow:
        incident = Incident.declare(str(uuid.uuid4()), cmd.title, cmd.severity, cmd.priority, cmd.declared_by,
                                    utcnow(), team=cmd.team, private=cmd.private)
        uow.incidents.add(incident)
        publish_events(incident, uow)
        uow.commit()
    return incident


def publish_events(incident: Incident, uow: IncidentUnitOfWork) -> None:
    for event in incident.events:
        if isinstance(event, IncidentCreated):
            uow.emit(INCIDENT_CREATED, incident_facts(incident), subject=incident.id, sequence=incident.sequence)
    incident.events.clear()


def incident_facts(incident: Incident) -> dict:
    return {
        "id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "priority": incident.priority,
        "status": incident.status,
        "team": incident.team,
        "private": incident.private,
        "created_by": incident.created_by,
        "created_at": incident.created_at.isoformat(),
    }
