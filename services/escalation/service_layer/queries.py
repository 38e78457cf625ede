"""Reads of escalation state: an incident's chains with each step fired, and the escalations it had."""

from __future__ import annotations

from typing import Any

from libs.common.auth import Principal
from libs.common.errors import NotFound
from services.escalation.domain.chain import Chain
from services.escalation.service_layer.escalate import record_view
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork


def chain_view(chain: Chain) -> dict[str, Any]:
    return {"id": chain.id, "incident_id": chain.incident_id, "number": chain.number, "status": chain.status,
            "team": chain.team,
            "level": chain.level, "policy": {"id": chain.policy.id, "name": chain.policy.name},
            "step": chain.step + 1, "round": chain.round + 1, "started_at": chain.started_at,
            "next_step_at": chain.due_at, "ended_at": chain.ended_at, "end_reason": chain.end_reason,
            "cause": chain.cause, "steps": [f.to_dict() for f in chain.fired]}


def incident_escalations(uow: EscalationUnitOfWork, incident_id: str, principal: Principal) -> dict[str, Any]:
    """The incident's chains (oldest first) and escalation records, with where it stands now."""
    with uow:
        incident = uow.incidents.get(incident_id)
        if incident is None or not principal.can_see(incident.private, incident.current_team):
            raise NotFound(f"the escalation service knows no incident {incident_id}")
        chains = uow.chains.for_incident(incident_id)
        records = uow.escalations.for_incident(incident_id)
    current = chains[-1] if chains else None
    return {"incident_id": incident_id, "team": incident.current_team, "level": incident.level,
            "status": current.status if current else None,
            "items": [chain_view(c) for c in chains], "escalations": [record_view(r) for r in records],
            "next_cursor": None}


def get_chain(uow: EscalationUnitOfWork, chain_id: str, principal: Principal) -> dict[str, Any]:
    with uow:
        chain = uow.chains.get(chain_id)
        incident = uow.incidents.get(chain.incident_id) if chain else None
    if chain is None or incident is None or not principal.can_see(incident.private, incident.current_team):
        raise NotFound(f"no escalation {chain_id}")
    return chain_view(chain)


def list_chains(uow: EscalationUnitOfWork, status: str | None, limit: int, after, principal: Principal) -> dict:
    """Chains newest first, those of private incidents the principal may not see left out."""
    with uow:
        chains = uow.chains.page(status, limit + 1, after)
        incidents = {c.incident_id: uow.incidents.get(c.incident_id) for c in chains}
    more = len(chains) > limit
    chains = chains[:limit]
    visible = [c for c in chains if incidents[c.incident_id] is None
               or principal.can_see(incidents[c.incident_id].private, incidents[c.incident_id].current_team)]
    cursor = [chains[-1].started_at.isoformat(), chains[-1].id] if more else None
    return {"items": [chain_view(c) for c in visible], "cursor": cursor}
