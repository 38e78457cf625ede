"""Persistence of incident copies, contacts, rules, templates, deliveries, and digest folding on jobs."""

from __future__ import annotations

from datetime import datetime
from secrets import token_urlsafe
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from libs.common.db import dialect_insert
from libs.common.envelope import as_utc
from libs.common.jobs import PENDING
from services.notify.adapters.orm import (
    contacts,
    deliveries,
    incidents,
    jobs,
    kept_secrets,
    rules,
    teams,
    templates,
)
from services.notify.domain.incident import IncidentCopy
from services.notify.domain.rules import Rule

_COPY_FIELDS = ("reference", "title", "severity", "priority", "status", "team", "incident_type", "private",
                "commander", "links", "acknowledged", "sequence")


def _locking(session: Session, query):
    return query if session.get_bind().dialect.name == "sqlite" else query.with_for_update()


# Statements on the event path are built once, values going as parameters: SQLAlchemy then finds each
# compiled statement by the cache key it memoised on the object, instead of building both per event.
_INCIDENT = select(incidents).where(incidents.c.incident_id == bindparam("incident_id"))
_INCIDENT_LOCKED = _INCIDENT.with_for_update()
_CONTACTS_OF_USERS = select(contacts).where(contacts.c.user.in_(bindparam("users", expanding=True)))
_TEMPLATES_OF_CATEGORY = select(templates).where(templates.c.category == bindparam("category")) \
    .order_by(templates.c.name)
_BUILT: dict[tuple[str, str], Any] = {}


def _built(session: Session, name: str, build) -> Any:
    """The statement `name`, built once per dialect by `build(insert)` (the dialect's INSERT … ON CONFLICT)."""
    bind = session.get_bind()
    statement = _BUILT.get((name, bind.dialect.name))
    if statement is None:
        statement = _BUILT[(name, bind.dialect.name)] = build(dialect_insert(bind))
    return statement


def _plain(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


class IncidentRepository:
    """Notify's incident copies; `get(lock=True)` holds the row until the transaction ends."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> IncidentCopy | None:
        locked = lock and self.session.get_bind().dialect.name != "sqlite"
        row = self.session.execute(_INCIDENT_LOCKED if locked else _INCIDENT, {"incident_id": incident_id}) \
            .mappings().first()
        if row is None:
            return None
        return IncidentCopy(id=row["incident_id"], **{k: row[k] for k in _COPY_FIELDS})

    def add(self, copy: IncidentCopy, now: datetime) -> bool:
        """Insert unless a concurrent consumer did first; True if inserted."""
        values = {"incident_id": copy.id, "updated_at": now, **{k: getattr(copy, k) for k in _COPY_FIELDS}}
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        # Values as parameters, not in the statement: one cached statement for every row.
        statement = _built(self.session, "add_incident", lambda insert: insert(incidents).on_conflict_do_nothing(
            index_elements=["incident_id"]).returning(incidents.c.incident_id))
        return self.session.execute(statement, values).first() is not None

    def save(self, copy: IncidentCopy, now: datetime) -> None:
        self.session.execute(update(incidents).where(incidents.c.incident_id == copy.id).values(
            updated_at=now, **{k: getattr(copy, k) for k in _COPY_FIELDS}))


def kept_secret(session: Session, name: str, now: datetime) -> str:
    """The secret `name` from the database, made (randomly, once, whoever comes first) if absent."""
    statement = dialect_insert(session.get_bind())(kept_secrets).on_conflict_do_nothing(index_elements=["name"])
    session.execute(statement, {"name": name, "value": token_urlsafe(48), "created_at": now})
    return session.execute(select(kept_secrets.c.value).where(kept_secrets.c.name == name)).scalar_one()


class TeamRepository:
    """Team members as escalation announced them."""

    def __init__(self, session: Session):
        self.session = session

    def members(self, team: str | None) -> list[str]:
        if not team:
            return []
        row = self.session.execute(select(teams.c.members).where(teams.c.name == team)).first()
        return list(row[0]) if row else []

    def apply(self, name: str, members: list[str], version: int, now: datetime) -> bool:
        """Store the team's members unless a version as new is stored; True if stored."""
        query = _locking(self.session, select(teams.c.version).where(teams.c.name == name))
        row = self.session.execute(query).first()
        if row is None:
            statement = dialect_insert(self.session.get_bind())(teams).on_conflict_do_nothing(
                index_elements=["name"]).returning(teams.c.name)
            values = {"name": name, "members": members, "version": version, "updated_at": now}
            return self.session.execute(statement, values).first() is not None
        if row[0] >= version:
            return False
        self.session.execute(update(teams).where(teams.c.name == name).values(
            members=members, version=version, updated_at=now))
        return True

    def delete(self, name: str) -> None:
        self.session.execute(delete(teams).where(teams.c.name == name))


class ContactRepository:
    def __init__(self, session: Session):
        self.session = session

    def by_users(self, users: list[str]) -> dict[str, dict[str, Any]]:
        rows = self.session.execute(_CONTACTS_OF_USERS, {"users": list(users)}).mappings()
        return {r["user"]: _plain(r) for r in rows}

    def by_team(self, team: str, members: list[str]) -> list[dict[str, Any]]:
        """Contacts of the team's `members` and of users listing `team` among their teams, by user."""
        rows = self.session.execute(select(contacts).order_by(contacts.c.user)).mappings()
        return [_plain(r) for r in rows if r["user"] in members or team in (r["teams"] or [])]


class RuleRepository:
    def __init__(self, session: Session):
        self.session = session

    def enabled(self) -> list[Rule]:
        rows = self.session.execute(select(rules).where(rules.c.enabled.is_(True))).mappings()
        return [rule_of(r) for r in rows]


def rule_of(row) -> Rule:
    return Rule(id=row["id"], name=row["name"], enabled=bool(row["enabled"]),
                event_types=tuple(row["event_types"]), recipients=tuple(row["recipients"]),
                severities=tuple(row["severities"]), priorities=tuple(row["priorities"]),
                teams=tuple(row["teams"]), incident_types=tuple(row["incident_types"]),
                template_id=row["template_id"])


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session
        self._category: tuple[str, list] | None = None

    def get(self, template_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(templates).where(
            or_(templates.c.id == template_id, templates.c.name == template_id))).mappings().first()
        return _plain(row) if row else None

    def for_channel(self, category: str, channel: str) -> dict[str, Any] | None:
        """The stored template for a category and channel (a channel's own before `any`), first by name."""
        if self._category is None or self._category[0] != category:
            # One query per transaction and category, however many recipients.
            found = self.session.execute(_TEMPLATES_OF_CATEGORY, {"category": category}).mappings().all()
            self._category = (category, found)
        rows = [r for r in self._category[1] if r["channel"] in (channel, "any")]
        own = [r for r in rows if r["channel"] == channel]
        chosen = (own or rows or [None])[0]
        return _plain(chosen) if chosen else None


class DeliveryRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, values: dict[str, Any]) -> bool:
        """Record a delivery unless its key exists; True if this call recorded it."""
        values = {"last_error": None, "sent_at": None, **values}
        statement = _built(self.session, "add_delivery", lambda insert: insert(deliveries).on_conflict_do_nothing(
            index_elements=["key"]).returning(deliveries.c.id))
        return self.session.execute(statement, values).first() is not None

    def page(self, incident_id: str | None, limit: int, after: int | None,
             visible: Any = None) -> list[dict[str, Any]]:
        query = select(deliveries).order_by(deliveries.c.id).limit(limit)
        if incident_id is not None:
            query = query.where(deliveries.c.incident_id == incident_id)
        if after is not None:
            query = query.where(deliveries.c.id > after)
        if visible is not None:
            query = query.where(visible)
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def mark_job(self, job_key: str, values: dict[str, Any]) -> int:
        return self.session.execute(update(deliveries).where(
            deliveries.c.job_key == job_key, deliveries.c.status != "cancelled").values(values)).rowcount

    def joined(self, key: str, job_key: str, due_at: datetime) -> None:
        """The delivery `key` rides on the digest job `job_key`."""
        self.session.execute(update(deliveries).where(deliveries.c.key == key).values(job_key=job_key, due_at=due_at))

    def waiting_groups(self, prefix: str) -> list[str]:
        """Groups starting with `prefix` that have deliveries not sent yet."""
        query = select(deliveries.c.group).distinct().where(
            deliveries.c.group.startswith(prefix, autoescape=True), deliveries.c.status.in_(("pending", "failed")))
        return sorted(self.session.execute(query).scalars())

    def cancel_group(self, group: str, now: datetime) -> list[str]:
        """Cancel the group's deliveries not sent yet; the method kinds of those cancelled."""
        waiting = and_(deliveries.c.group == group, deliveries.c.status.in_(("pending", "failed")))
        kinds = list(self.session.execute(select(deliveries.c.method_kind).where(waiting)).scalars())
        if kinds:
            self.session.execute(update(deliveries).where(waiting).values(status="cancelled", updated_at=now))
        return kinds


class DigestRepository:
    """Folding updates into a job that has not gone out yet (rows of the jobs table, locked while changed)."""

    def __init__(self, session: Session):
        self.session = session

    def latest(self, group: str) -> dict[str, Any] | None:
        """The group's newest job (locked), or None."""
        query = select(jobs.c.key, jobs.c.status, jobs.c.due_at, jobs.c.payload).where(jobs.c.group == group) \
            .order_by(jobs.c.due_at.desc(), jobs.c.id.desc()).limit(1)
        row = self.session.execute(_locking(self.session, query)).mappings().first()
        return _plain(row) if row else None

    def append(self, key: str, payload: dict[str, Any], now: datetime) -> bool:
        """Replace a still-pending job's payload; False if a worker has taken it meanwhile."""
        return self.session.execute(update(jobs).where(jobs.c.key == key, jobs.c.status == PENDING)
                                    .values(payload=payload, updated_at=now).returning(jobs.c.id)).first() is not None
