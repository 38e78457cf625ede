"""The step timer: nobody acknowledged in time, so the chain's next step fires (or it is exhausted)."""

from __future__ import annotations

from libs.common.timers import Timer
from services.escalation.service_layer.paging import resolver, settle
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork


def step_timed_out(uow: EscalationUnitOfWork, timer: Timer) -> None:
    """Fire the next step, unless the chain moved on since this timer was set (then do nothing)."""
    token = timer.payload.get("token")
    peek = uow.chains.get(timer.key)
    if peek is None or not peek.active or peek.token != token:
        return  # stale or duplicate: the chain's token moved on
    now = uow.now()
    # The scheduler holds this timer's row; then the incident copy, then the chain, as everywhere.
    incident = uow.incidents.get(peek.incident_id, lock=True)
    chain = uow.chains.get(timer.key, lock=True)
    if incident is None or chain is None or not chain.timed_out(token, now, resolver(uow)):
        return
    settle(uow, chain, incident, now)
    uow.incidents.save(incident, now)
