"""Who sees what: a private incident's postmortem and action items only for its team and admins."""

from __future__ import annotations

from typing import Any

from libs.common.auth import Principal, visible_teams
from libs.common.errors import NotFound
from services.postmortem.domain.projection import IncidentCopy
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

__all__ = ["visible_teams", "can_see", "load_postmortem"]


def can_see(principal: Principal, copy: IncidentCopy | None) -> bool:
    """The one visibility rule (libs.common's), applied to the incident copy."""
    incident = copy.incident if copy is not None else {}
    return principal.can_see(bool(incident.get("private")), incident.get("team"))


def load_postmortem(uow: PostmortemUnitOfWork, postmortem_id: str, principal: Principal,
                    lock: bool = False) -> tuple[dict[str, Any], IncidentCopy]:
    """The postmortem and its incident copy; hidden ones are simply not found."""
    row = uow.postmortems.get(postmortem_id, lock=lock)
    copy = uow.copies.get(row["incident_id"]) if row is not None else None
    if row is None or not can_see(principal, copy):
        raise NotFound(f"no postmortem {postmortem_id}")
    return row, copy
