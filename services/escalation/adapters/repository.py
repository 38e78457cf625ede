"""Persistence of the incident copies, escalation chains and escalation records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc
from services.escalation.adapters.orm import chains, escalations, incidents, sla_actions
from services.escalation.domain.chain import ACTIVE, Chain, FiredStep
from services.escalation.domain.incident import IncidentCopy
from services.escalation.domain.policy import Policy

_INCIDENT_FIELDS = ("reference", "title", "severity", "priority", "status", "team", "private", "incident_type",
                    "commander", "escalation_level", "created_at", "acknowledged_at", "started_at",
                    "first_paged_at", "pending_team", "pending_level", "sequence", "event_sequence")
_TIMES = ("created_at", "acknowledged_at", "started_at", "first_paged_at")


def _locking(session: Session, query):
    return query if session.get_bind().dialect.name == "sqlite" else query.with_for_update()


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class IncidentRepository:
    """The incident copies; `get(lock=True)` holds the row until the transaction ends."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> IncidentCopy | None:
        query = select(incidents).where(incidents.c.incident_id == incident_id)
        row = self.session.execute(_locking(self.session, query) if lock else query).mappings().first()
        if row is None:
            return None
        values = {f: row[f] for f in _INCIDENT_FIELDS}
        for name in _TIMES:
            values[name] = _utc(values[name])
        values["private"] = bool(values["private"])
        return IncidentCopy(id=row["incident_id"], **values)

    def add(self, incident: IncidentCopy, now: datetime) -> None:
        self.session.execute(incidents.insert().values(incident_id=incident.id, updated_at=now,
                                                       **_incident_values(incident)))

    def save(self, incident: IncidentCopy, now: datetime) -> None:
        self.session.execute(update(incidents).where(incidents.c.incident_id == incident.id)
                             .values(updated_at=now, **_incident_values(incident)))


def _incident_values(incident: IncidentCopy) -> dict[str, Any]:
    return {f: getattr(incident, f) for f in _INCIDENT_FIELDS}


class ChainRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, chain_id: str, lock: bool = False) -> Chain | None:
        query = select(chains).where(chains.c.id == chain_id)
        row = self.session.execute(_locking(self.session, query) if lock else query).mappings().first()
        return chain_of(row) if row else None

    def active_ids(self, incident_id: str) -> list[str]:
        return list(self.session.execute(select(chains.c.id).where(
            chains.c.incident_id == incident_id, chains.c.status == ACTIVE).order_by(chains.c.id)).scalars())

    def active(self, incident_id: str, lock: bool = False) -> list[Chain]:
        query = select(chains).where(chains.c.incident_id == incident_id, chains.c.status == ACTIVE) \
            .order_by(chains.c.id)
        return [chain_of(r) for r in self.session.execute(_locking(self.session, query) if lock else query)
                .mappings()]

    def for_incident(self, incident_id: str) -> list[Chain]:
        query = select(chains).where(chains.c.incident_id == incident_id).order_by(chains.c.number)
        return [chain_of(r) for r in self.session.execute(query).mappings()]

    def page(self, status: str | None, limit: int, after: tuple[str, str] | None) -> list[Chain]:
        """Chains newest first (by start, then id)."""
        query = select(chains).order_by(chains.c.started_at.desc(), chains.c.id.desc()).limit(limit)
        if status:
            query = query.where(chains.c.status == status)
        if after is not None:
            started, chain_id = datetime.fromisoformat(after[0]), after[1]
            query = query.where((chains.c.started_at < started)
                                | ((chains.c.started_at == started) & (chains.c.id < chain_id)))
        return [chain_of(r) for r in self.session.execute(query).mappings()]

    def count(self, incident_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(chains)
                                    .where(chains.c.incident_id == incident_id)).scalar_one()

    def add(self, chain: Chain) -> None:
        self.session.execute(chains.insert().values(id=chain.id, incident_id=chain.incident_id, number=chain.number,
                                                    started_at=chain.started_at, **_chain_values(chain)))

    def save(self, chain: Chain) -> None:
        self.session.execute(update(chains).where(chains.c.id == chain.id).values(**_chain_values(chain)))


def _chain_values(chain: Chain) -> dict[str, Any]:
    return {"team": chain.team, "level": chain.level, "policy": chain.policy.to_dict(), "status": chain.status,
            "step": chain.step, "round": chain.round, "token": chain.token, "due_at": chain.due_at,
            "ended_at": chain.ended_at, "end_reason": chain.end_reason,
            "fired": [f.to_dict() for f in chain.fired], "cause": chain.cause}


def chain_of(row) -> Chain:
    return Chain(id=row["id"], incident_id=row["incident_id"], number=row["number"], team=row["team"],
                 level=row["level"],
                 policy=Policy.from_dict(row["policy"]), started_at=as_utc(row["started_at"]), status=row["status"],
                 step=row["step"], round=row["round"], token=row["token"], due_at=_utc(row["due_at"]),
                 ended_at=_utc(row["ended_at"]), end_reason=row["end_reason"],
                 fired=[FiredStep.from_dict(f) for f in row["fired"]], cause=row["cause"])


class EscalationRepository:
    """Escalation records (manual and SLA-driven) and the SLA warnings and breaches already acted on."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, record: dict[str, Any]) -> None:
        self.session.execute(escalations.insert().values(record))

    def for_incident(self, incident_id: str) -> list[dict[str, Any]]:
        query = select(escalations).where(escalations.c.incident_id == incident_id) \
            .order_by(escalations.c.at, escalations.c.level)
        return [{**r, "at": as_utc(r["at"])} for r in self.session.execute(query).mappings()]

    def claim_sla_action(self, key: str, incident_id: str, action: str, now: datetime) -> bool:
        """Record that this SLA event was acted on; False if it already was."""
        if self.session.execute(select(sla_actions.c.key).where(sla_actions.c.key == key)).first():
            return False
        self.session.execute(sla_actions.insert().values(key=key, incident_id=incident_id, action=action, at=now))
        return True
