"""Loading an incident for a principal: hidden ones are simply not found."""

from __future__ import annotations

from libs.common.auth import Principal
from services.incident.domain.errors import NotFoundError, VersionConflict
from services.incident.domain.model import Incident
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def load(uow: IncidentUnitOfWork, incident_id: str, principal: Principal, for_update: bool = False,
         expected_version: int | None = None) -> Incident:
    incident = uow.incidents.get(incident_id, for_update=for_update)
    if incident is None or not principal.can_see(incident.private, incident.team):
        raise NotFoundError(f"no incident {incident_id}")
    if expected_version is not None and expected_version != incident.version:
        raise VersionConflict(expected_version, incident.version)
    return incident
