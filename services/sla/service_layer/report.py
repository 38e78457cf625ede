"""The SLA report: which clocks started in a period, how many met or breached, and how long they took."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from libs.common.auth import Principal, visible_teams
from services.sla.adapters.orm import clocks, records
from services.sla.domain.policy import PRIORITIES, TARGETS
from services.sla.domain.report import ClockResult, summarize
from services.sla.service_layer.unit_of_work import SlaUnitOfWork


def sla_report(uow: SlaUnitOfWork, start: datetime, end: datetime, principal: Principal,
               team: str | None = None, priority: str | None = None) -> dict[str, Any]:
    """Counts, compliance and times per target for clocks started in [start, end)."""
    query = (select(clocks.c.target, clocks.c.priority, clocks.c.outcome, clocks.c.breached_at, clocks.c.stage,
                    clocks.c.elapsed_at_stop)
             .join(records, records.c.incident_id == clocks.c.incident_id)
             .where(clocks.c.started_at >= start, clocks.c.started_at < end))
    if team is not None:
        query = query.where(records.c.team == team)
    if priority is not None:
        query = query.where(clocks.c.priority == priority)
    teams = visible_teams(principal)
    if teams is not None:
        query = query.where(records.c.private.is_(False) | records.c.team.in_(teams))
    with uow:
        rows = uow.session.execute(query).all()
    results = [ClockResult(r.target, r.priority, r.outcome, r.breached_at is not None, r.stage == "cancelled",
                           r.elapsed_at_stop) for r in rows]
    return {
        "start": start,
        "end": end,
        "team": team,
        "priority": priority,
        "percentile_method": "nearest-rank",
        "time_basis": "working seconds from a clock's start to its completion, pauses excluded",
        "targets": {t: summarize(r for r in results if r.target == t) for t in TARGETS},
        "by_priority": {p: {t: summarize(r for r in results if r.target == t and r.priority == p) for t in TARGETS}
                        for p in PRIORITIES if any(r.priority == p for r in results)},
    }
