"""Escalating an incident to another team: by hand (hierarchical, functional) or on an SLA warning or breach."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from libs.common.auth import Principal
from libs.common.envelope import Event
from libs.common.errors import Conflict, NotFound
from libs.common.resources import invalid
from services.escalation.adapters import metrics
from services.escalation.adapters.timers import lock_step_timers
from services.escalation.domain.chain import ACKNOWLEDGED, STOPPED
from services.escalation.domain.incident import IncidentCopy
from services.escalation.domain.policy import select_policy
from services.escalation.domain.teams import users_of
from services.escalation.events import ESCALATED, SLA_WARNING
from services.escalation.service_layer.paging import page, settle, start_chain
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork

logger = logging.getLogger(__name__)


def _locked_incident(uow: EscalationUnitOfWork, incident_id: str) -> IncidentCopy | None:
    # Timers, then the incident copy, then chains: the order the consumer and the scheduler use.
    lock_step_timers(uow.session, uow.timers, uow.chains.active_ids(incident_id))
    return uow.incidents.get(incident_id, lock=True)


def escalate(uow: EscalationUnitOfWork, incident_id: str, kind: str, to_team: str | None, reason: str | None,
             principal: Principal) -> dict[str, Any]:
    """A manual escalation; the answer is its record (from_team, to_team, level, reason, actor, at)."""
    with uow:
        incident = _locked_incident(uow, incident_id)
        if incident is None or not principal.can_see(incident.private, incident.current_team):
            raise NotFound(f"the escalation service knows no incident {incident_id}")
        record = escalate_incident(uow, incident, kind, to_team, reason, principal.user, uow.now())
        uow.commit()
    return record


def escalate_incident(uow: EscalationUnitOfWork, incident: IncidentCopy, kind: str, to_team: str | None,
                      reason: str | None, actor: str, now: datetime) -> dict[str, Any]:
    """Escalate inside the caller's transaction: record, event, stop the chain, start the new team's policy."""
    if not incident.is_open:
        raise Conflict(f"incident {incident.reference} is {incident.status}; it cannot be escalated")
    from_team = incident.current_team
    if kind == "functional":
        if not to_team:
            raise invalid("to_team", "a functional escalation names the team to escalate to")
        if uow.directory.team(to_team) is None:
            raise invalid("to_team", f"no team {to_team!r}")
        if to_team == from_team:
            raise Conflict(f"the incident is already with team {to_team!r}", team=to_team)
    else:
        if from_team is None:
            raise Conflict("the incident has no team, so it has no parent team to escalate to", team=None)
        to_team = uow.directory.parents().get(from_team)
        if to_team is None:
            raise Conflict(f"team {from_team!r} has no parent team to escalate to", team=from_team)
    level = incident.level + 1
    record = {"id": str(uuid.uuid4()), "incident_id": incident.id, "kind": kind, "from_team": from_team,
              "to_team": to_team, "level": level, "reason": reason, "actor": actor, "at": now}
    uow.escalations.add(record)
    view = record_view(record)
    uow.emit(ESCALATED, {**{k: v for k, v in view.items() if k != "id"}, "escalation_id": record["id"]},
             subject=incident.id, sequence=incident.next_sequence())
    incident.escalate(to_team, level)
    for chain in uow.chains.active(incident.id, lock=True):
        if chain.stop(STOPPED, f"escalated to {to_team}", now):
            settle(uow, chain, incident, now)
    chain = start_chain(uow, incident, now, cause=view)
    if chain is not None:
        settle(uow, chain, incident, now)
    uow.incidents.save(incident, now)
    uow.on_commit(lambda: metrics.escalations.labels(kind, metrics.level_label(level)).inc())
    return view


def record_view(record: dict[str, Any]) -> dict[str, Any]:
    at = record["at"]
    return {**record, "at": at.isoformat() if isinstance(at, datetime) else at}


def acknowledge_chain(uow: EscalationUnitOfWork, chain_id: str, principal: Principal) -> None:
    """Stop a chain as acknowledged by hand (e.g. paging continued after the incident's own acknowledgement)."""
    with uow:
        peek = uow.chains.get(chain_id)
        incident = _locked_incident(uow, peek.incident_id) if peek else None
        if peek is None or incident is None or not principal.can_see(incident.private, incident.current_team):
            raise NotFound(f"no escalation {chain_id}")
        chain = uow.chains.get(chain_id, lock=True)
        now = uow.now()
        if not chain.stop(ACKNOWLEDGED, f"acknowledged by {principal.user}", now):
            raise Conflict(f"the escalation is already {chain.status}", status_now=chain.status)
        settle(uow, chain, incident, now)
        uow.incidents.save(incident, now)
        uow.commit()


def sla_event(uow: EscalationUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Run the policy's action for an SLA warning or breach, once per incident, target, cycle and kind."""
    trigger = "sla_warning" if event.type == SLA_WARNING else "sla_breach"
    incident = _locked_incident(uow, data["incident_id"])
    if incident is None or not incident.is_open:
        return
    chains = uow.chains.active(incident.id)
    team = incident.current_team
    policy = chains[0].policy if chains else select_policy(
        uow.directory.policies_for(team) if team else [], team, incident.severity, incident.incident_type)
    action = "none" if policy is None else (policy.on_sla_warning if trigger == "sla_warning"
                                            else policy.on_sla_breach)
    now = uow.now()
    key = f"{incident.id}/{data['target']}/{data['cycle']}/{trigger}"
    if action == "none" or not uow.escalations.claim_sla_action(key, incident.id, action, now):
        return
    if action == "page_team_lead":
        found = uow.directory.team(team) if team else None
        leads = users_of(found["members"], "lead") if found else []
        if leads:
            base = {"escalation_id": chains[0].id if chains else None, "incident_id": incident.id, "team": team,
                    "level": incident.level, "at": now.isoformat()}
            page(uow, incident, base, leads, now, step=0, round=0, targets=[{"kind": "team_lead", "id": team}],
                 timeout_seconds=None, trigger=trigger, token=0)
    elif action == "escalate_to_parent":
        try:
            escalate_incident(uow, incident, "sla", None, f"SLA {data['target']} {trigger.split('_')[1]}",
                              "sla", now)
        except Conflict as exc:
            logger.warning("SLA escalation not possible", extra={"fields": {"incident": incident.id,
                                                                             "why": exc.detail}})
    uow.incidents.save(incident, now)
