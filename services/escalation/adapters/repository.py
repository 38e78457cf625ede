"""Persistence of the incident copies, escalation chains and escalation records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
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


def _read(session: Session, pair: tuple, lock: bool):
    """The plain or the FOR UPDATE form of a statement built once (SQLite has no FOR UPDATE)."""
    return pair[1] if lock and session.get_bind().dialect.name != "sqlite" else pair[0]


def _plain_and_locking(query) -> tuple:
    return query, query.with_for_update()


# Statements on the event path are built once, values going as parameters: SQLAlchemy then finds each
# compiled statement by the cache key it memoised on the object, instead of building both per event.
_INCIDENT = _plain_and_locking(select(incidents).where(incidents.c.incident_id == bindparam("incident_id")))
_ADD_INCIDENT = incidents.insert()
_SAVE_INCIDENT = update(incidents).where(incidents.c.incident_id == bindparam("b_incident_id"))
_ACTIVE_IDS = select(chains.c.id).where(chains.c.incident_id == bindparam("incident_id"),
                                        chains.c.status == ACTIVE).order_by(chains.c.id)
_ACTIVE = _plain_and_locking(select(chains).where(chains.c.incident_id == bindparam("incident_id"),
                                                  chains.c.status == ACTIVE).order_by(chains.c.id))
_COUNT = select(func.count()).select_from(chains).where(chains.c.incident_id == bindparam("incident_id"))
_ADD_CHAIN = chains.insert()
_SAVE_CHAIN = update(chains).where(chains.c.id == bindparam("b_id"))


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class IncidentRepository:
    """The incident copies; `get(lock=True)` holds the row until the transaction ends."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> IncidentCopy | None:
        row = self.session.execute(_read(self.session, _INCIDENT, lock), {"incident_id": incident_id}) \
            .mappings().first()
        if row is None:
            return None
        values = {f: row[f] for f in _INCIDENT_FIELDS}
        for name in _TIMES:
            values[name] = _utc(values[name])
        values["private"] = bool(values["private"])
        return IncidentCopy(id=row["incident_id"], **values)

    def add(self, incident: IncidentCopy, now: datetime) -> None:
        self.session.execute(_ADD_INCIDENT, {"incident_id": incident.id, "updated_at": now,
                                             **_incident_values(incident)})

    def save(self, incident: IncidentCopy, now: datetime) -> None:
        self.session.execute(_SAVE_INCIDENT, {"b_incident_id": incident.id, "updated_at": now,
                                              **_incident_values(incident)})


def _incident_values(incident: IncidentCopy) -> dict[str, Any]:
    return {f: getattr(incident, f) for f in _INCIDENT_FIELDS}


class ChainRepository:
    def __init__(self, session: Session):
        self.session = session
        # Chains this transaction inserted, as inserted: saving one still unchanged is skipped. Only the
        # insert is remembered (a later different save forgets it), so a rolled-back SAVEPOINT cannot make
        # a skipped save lose a write: either the row is as inserted, or it is gone with the savepoint.
        self._inserted: dict[str, dict[str, Any]] = {}
        self._fresh: set[str] = set()

    def get(self, chain_id: str, lock: bool = False) -> Chain | None:
        query = select(chains).where(chains.c.id == chain_id)
        row = self.session.execute(_locking(self.session, query) if lock else query).mappings().first()
        return chain_of(row) if row else None

    def active_ids(self, incident_id: str) -> list[str]:
        return list(self.session.execute(_ACTIVE_IDS, {"incident_id": incident_id}).scalars())

    def active(self, incident_id: str, lock: bool = False) -> list[Chain]:
        rows = self.session.execute(_read(self.session, _ACTIVE, lock), {"incident_id": incident_id}).mappings()
        return [chain_of(r) for r in rows]

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
        return self.session.execute(_COUNT, {"incident_id": incident_id}).scalar_one()

    def add(self, chain: Chain) -> None:
        values = _chain_values(chain)
        self.session.execute(_ADD_CHAIN, {"id": chain.id, "incident_id": chain.incident_id, "number": chain.number,
                                          "started_at": chain.started_at, **values})
        self._inserted[chain.id] = values
        self._fresh.add(chain.id)

    def take_fresh(self, chain_id: str) -> bool:
        """True once for a chain this transaction inserted: nothing (no timer) refers to its new id yet."""
        if chain_id in self._fresh:
            self._fresh.discard(chain_id)
            return True
        return False

    def save(self, chain: Chain) -> None:
        values = _chain_values(chain)
        if self._inserted.get(chain.id) == values:
            return  # inserted just so by this transaction: an UPDATE would change nothing
        self._inserted.pop(chain.id, None)
        self.session.execute(_SAVE_CHAIN, {"b_id": chain.id, **values})


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
