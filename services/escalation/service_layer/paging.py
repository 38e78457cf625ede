"""Running chains: who the targets are now, starting and stopping chains, their timers and events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from libs.common.uow import EventRow
from services.escalation.adapters import metrics
from services.escalation.adapters.timers import STEP_TIMER, add_step_timer
from services.escalation.domain.chain import (
    EXHAUSTED,
    STARTED,
    STEP_FIRED,
    STEP_SKIPPED,
    STOPPED,
    Chain,
    Resolver,
)
from services.escalation.domain.incident import IncidentCopy
from services.escalation.domain.policy import Target, select_policy
from services.escalation.domain.teams import users_of
from services.escalation.events import EXHAUSTED as EXHAUSTED_EVENT
from services.escalation.events import STARTED as STARTED_EVENT
from services.escalation.events import STEP_FIRED as STEP_FIRED_EVENT
from services.escalation.events import STOPPED as STOPPED_EVENT
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork


def resolver(uow: EscalationUnitOfWork) -> Resolver:
    """Targets to users at an instant: a schedule's on-call, a team's members or leads, a user."""

    def resolve(targets: tuple[Target, ...], now: datetime) -> list[str]:
        users: list[str] = []
        for target in targets:
            if target.kind == "user":
                users.append(target.id)
            elif target.kind == "schedule":
                found = uow.directory.schedule(target.id)
                user = found[1].user_at(now) if found else None
                users += [user] if user else []
            else:
                team = uow.directory.team(target.id)
                role = "lead" if target.kind == "team_lead" else None
                users += users_of(team["members"], role) if team else []
        return users

    return resolve


def start_chain(uow: EscalationUnitOfWork, incident: IncidentCopy, now: datetime,
                cause: dict[str, Any] | None = None, first: bool = False) -> Chain | None:
    """Start the policy of the incident's current team, if it has one that applies.

    `first`: the incident copy was just made, so it has no chain yet and this one is number 1.
    """
    team = incident.current_team
    if team is None:
        return None
    policy = select_policy(uow.directory.policies_for(team), team, incident.severity, incident.incident_type)
    if policy is None:
        return None
    chain = Chain.start(str(uuid.uuid4()), incident.id, team, incident.level, policy, now, resolver(uow), cause,
                        number=1 if first else uow.chains.count(incident.id) + 1)
    uow.chains.add(chain)
    return chain


def settle(uow: EscalationUnitOfWork, chain: Chain, incident: IncidentCopy, now: datetime) -> None:
    """Save the chain, set or cancel its step timer, and put what it announced in the outbox."""
    uow.chains.save(chain)
    plan = chain.timer()
    fresh = uow.chains.take_fresh(chain.id)
    if plan is None:
        if not fresh:
            uow.timers.cancel(uow.session, STEP_TIMER, chain.id)
    elif fresh:
        add_step_timer(uow.session, uow.timers, chain.id, plan[0], plan[1])
    else:
        uow.timers.schedule(uow.session, STEP_TIMER, chain.id, plan[0], plan[1])
    events: list[EventRow] = []  # one outbox INSERT for all the chain announced
    for item in chain.announcements:
        base = {"escalation_id": chain.id, "incident_id": incident.id, "team": chain.team, "level": chain.level,
                "at": now.isoformat()}
        if item.kind == STARTED:
            events.append((STARTED_EVENT, {**base, "policy_id": chain.policy.id, "policy_name": chain.policy.name,
                                           "cause": (chain.cause or {}).get("kind", "automatic")},
                           incident.id, incident.next_sequence()))
        elif item.kind == STEP_FIRED:
            fired = item.data["fired"]
            timeout = chain.policy.steps[fired.step - 1].timeout_seconds
            events.append(page_event(uow, incident, base, fired.users, now, step=fired.step, round=fired.round,
                                     targets=fired.targets, timeout_seconds=timeout, trigger="step",
                                     token=chain.token))
        elif item.kind == EXHAUSTED:
            events.append((EXHAUSTED_EVENT, {**base, **item.data}, incident.id, incident.next_sequence()))
            uow.on_commit(metrics.chains_exhausted.inc)
        elif item.kind == STOPPED:
            events.append((STOPPED_EVENT, {**base, **item.data}, incident.id, incident.next_sequence()))
        elif item.kind == STEP_SKIPPED:
            uow.on_commit(lambda: metrics.steps_fired.labels("skipped").inc())
    chain.announcements.clear()
    uow.emit_many(events)


def page(uow: EscalationUnitOfWork, incident: IncidentCopy, base: dict[str, Any], users: list[str],
         now: datetime, **fields: Any) -> None:
    """Emit one step_fired: the users to page now, with what the page says about the incident."""
    uow.emit(*page_event(uow, incident, base, users, now, **fields))


def page_event(uow: EscalationUnitOfWork, incident: IncidentCopy, base: dict[str, Any], users: list[str],
               now: datetime, **fields: Any) -> EventRow:
    """The step_fired event to emit (type, data, subject, sequence), its metrics counted once it commits."""
    summary = {**incident.summary(), "links": {"incident": f"/v1/incidents/{incident.id}",
                                               "escalations": f"/v1/escalations?incident_id={incident.id}"}}
    event = (STEP_FIRED_EVENT, {**base, "users": users, "incident": summary, **fields}, incident.id,
             incident.next_sequence())
    uow.on_commit(lambda: metrics.steps_fired.labels("paged").inc())
    if incident.first_paged_at is None:
        incident.first_paged_at = now
        seconds = max(0.0, (now - incident.created_at).total_seconds())
        uow.on_commit(lambda: metrics.time_to_first_page.observe(seconds))
    return event
