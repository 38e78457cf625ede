"""Persistence of SLA records (with their clocks), policies and calendars."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from libs.common.envelope import as_utc, utcnow
from services.sla.adapters.orm import calendars, clocks, policies, records
from services.sla.domain.calendar import Calendar, Window
from services.sla.domain.clock import Clock, Span
from services.sla.domain.model import IncidentSla
from services.sla.domain.policy import AppliedPolicy, Policy

_CLOCK_FIELDS = ("priority", "target_seconds", "warning_seconds", "started_at", "stage", "stopped_at", "outcome",
                 "elapsed_at_stop", "due_at", "warning_at", "warned_at", "breached_at", "version")
_TIMES = ("started_at", "stopped_at", "due_at", "warning_at", "warned_at", "breached_at")


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _locking(session: Session, query):
    return query if session.get_bind().dialect.name == "sqlite" else query.with_for_update()


def scope_key(team: str | None, incident_type: str | None) -> str:
    return f"team={team or '*'};type={incident_type or '*'}"


class SlaRepository:
    """Incident SLA records; `get(lock=True)` holds the row until the transaction ends."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> IncidentSla | None:
        return self.get_many([incident_id], lock).get(incident_id)

    def get_many(self, incident_ids: list[str], lock: bool = False) -> dict[str, IncidentSla]:
        """Records by incident id; with `lock`, rows are locked in id order (so two lockers never deadlock)."""
        query = select(records).where(records.c.incident_id.in_(incident_ids)).order_by(records.c.incident_id)
        rows = self.session.execute(_locking(self.session, query) if lock else query).mappings().all()
        if not rows:
            return {}
        found: dict[str, list[Clock]] = {r["incident_id"]: [] for r in rows}
        for r in self.session.execute(select(clocks).where(clocks.c.incident_id.in_(list(found)))
                                      .order_by(clocks.c.incident_id, clocks.c.target, clocks.c.cycle)).mappings():
            found[r["incident_id"]].append(_clock(r))
        return {row["incident_id"]: IncidentSla(
            incident_id=row["incident_id"], reference=row["reference"], title=row["title"],
            priority=row["priority"], status=row["status"], team=row["team"], incident_type=row["incident_type"],
            private=bool(row["private"]), created_at=as_utc(row["created_at"]),
            policy=AppliedPolicy.from_dict(row["policy"]), clocks=found[row["incident_id"]],
            sequence=row["sequence"], sla_sequence=row["sla_sequence"]) for row in rows}

    def add(self, sla: IncidentSla) -> None:
        now = utcnow()
        self.session.execute(records.insert().values(first_seen_at=now, updated_at=now, **_record_values(sla)))
        for clock in sla.clocks:
            self.session.execute(clocks.insert().values(_clock_values(sla.incident_id, clock)))

    def save(self, sla: IncidentSla) -> None:
        self.session.execute(update(records).where(records.c.incident_id == sla.incident_id)
                             .values(updated_at=utcnow(), **_record_values(sla)))
        existing = {(r.target, r.cycle) for r in self.session.execute(
            select(clocks.c.target, clocks.c.cycle).where(clocks.c.incident_id == sla.incident_id))}
        for clock in sla.clocks:
            values = _clock_values(sla.incident_id, clock)
            if (clock.target, clock.cycle) in existing:
                self.session.execute(update(clocks).where(
                    clocks.c.incident_id == sla.incident_id, clocks.c.target == clock.target,
                    clocks.c.cycle == clock.cycle).values(values))
            else:
                self.session.execute(clocks.insert().values(values))

    def mark(self, fired: list[tuple[IncidentSla, Clock]]) -> None:
        """Save what firing timers changed: each clock's warned/breached instants, each record's SLA sequence."""
        if not fired:
            return
        now = utcnow()
        latest = {sla.incident_id: sla.sla_sequence for sla, _ in fired}
        self.session.execute(
            update(records).where(records.c.incident_id == bindparam("b_incident"))
            .values(sla_sequence=bindparam("b_sequence"), updated_at=now),
            [{"b_incident": i, "b_sequence": seq} for i, seq in latest.items()])
        self.session.execute(
            update(clocks).where(clocks.c.incident_id == bindparam("b_incident"),
                                 clocks.c.target == bindparam("b_target"), clocks.c.cycle == bindparam("b_cycle"))
            .values(warned_at=bindparam("b_warned"), breached_at=bindparam("b_breached")),
            [{"b_incident": sla.incident_id, "b_target": c.target, "b_cycle": c.cycle, "b_warned": c.warned_at,
              "b_breached": c.breached_at} for sla, c in fired])

def _record_values(sla: IncidentSla) -> dict[str, Any]:
    return {"incident_id": sla.incident_id, "reference": sla.reference, "title": sla.title,
            "priority": sla.priority, "status": sla.status, "team": sla.team, "incident_type": sla.incident_type,
            "private": sla.private, "created_at": sla.created_at, "sequence": sla.sequence,
            "sla_sequence": sla.sla_sequence, "policy": sla.policy.to_dict()}


def _clock_values(incident_id: str, clock: Clock) -> dict[str, Any]:
    values = {f: getattr(clock, f) for f in _CLOCK_FIELDS}
    values.update(incident_id=incident_id, target=clock.target, cycle=clock.cycle,
                  spans=[[s.start.isoformat(), s.end.isoformat() if s.end else None] for s in clock.spans])
    return values


def _clock(row) -> Clock:
    values = {f: row[f] for f in _CLOCK_FIELDS}
    for name in _TIMES:
        values[name] = _utc(values[name])
    spans = [Span(datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None) for a, b in row["spans"]]
    return Clock(target=row["target"], cycle=row["cycle"], spans=spans, **values)


class PolicyRepository:
    """What SLA handlers read of policies (writes go through service_layer.policies.POLICIES)."""

    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[Policy]:
        return [policy_of(r) for r in self.session.execute(select(policies)).mappings()]

    def find(self, **where) -> Any:
        query = select(policies)
        for name, value in where.items():
            query = query.where(policies.c[name] == value)
        return self.session.execute(query).mappings().first()

    def using_calendar(self, calendar_id: str) -> list[str]:
        return list(self.session.execute(select(policies.c.name).where(policies.c.calendar_id == calendar_id))
                    .scalars())


def policy_of(row) -> Policy:
    return Policy(id=row["id"], name=row["name"], team=row["team"], incident_type=row["incident_type"],
                  targets=row["targets"], warning_percent=row["warning_percent"],
                  pause_on_hold=bool(row["pause_on_hold"]), calendar_id=row["calendar_id"])


class CalendarRepository:
    """What SLA handlers read of calendars (writes go through service_layer.policies.CALENDARS)."""

    def __init__(self, session: Session):
        self.session = session

    def get_row(self, calendar_id: str):
        return self.session.execute(select(calendars).where(calendars.c.id == calendar_id)).mappings().first()

    def get(self, calendar_id: str) -> tuple[Calendar, str] | None:
        row = self.get_row(calendar_id)
        return (calendar_of(row), row["name"]) if row else None


def calendar_of(row) -> Calendar:
    return Calendar(timezone=row["timezone"],
                    windows=tuple(Window(frozenset(w["days"]), w["start"], w["end"]) for w in row["windows"]),
                    holidays=frozenset(date.fromisoformat(d) for d in row["holidays"]))
