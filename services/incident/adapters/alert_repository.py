"""Integrations, alerts and their groups, rate windows, maintenance windows and silences."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from libs.common.db import dialect_insert
from libs.common.envelope import as_utc
from libs.common.instants import INSTANT_MAX, INSTANT_MIN
from services.incident.adapters.orm import (
    alert_groups,
    alert_rate,
    alerts,
    integrations,
    maintenance_windows,
    silences,
)

logger = logging.getLogger(__name__)


def _plain(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


# The intake path's statements, built once with their values as parameters: a fresh construct per alert costs
# its building and its cache key (most of intake's CPU). The ON CONFLICT ones are built once per dialect.
_BY_KEY_HASH = select(integrations).where(integrations.c.key_hash == bindparam("key_hash"))
_RATE_PRUNE = delete(alert_rate).where(alert_rate.c.integration_id == bindparam("integration_id"),
                                       alert_rate.c.window_start < bindparam("window_start"))
_GROUP = select(alert_groups).where(alert_groups.c.integration_id == bindparam("integration_id"),
                                    alert_groups.c.dedup_key == bindparam("dedup_key"))
_GROUP_LOCKED = _GROUP.with_for_update()
_GROUP_INCIDENT = update(alert_groups).where(alert_groups.c.integration_id == bindparam("w_integration_id"),
                                             alert_groups.c.dedup_key == bindparam("w_dedup_key"))
_ALERT_INSERT = alerts.insert()
_ALERT_CHANGE = update(alerts).where(alerts.c.id == bindparam("w_id"))
_ALERT_BUMP = _ALERT_CHANGE.values(count=alerts.c.count + bindparam("w_n"))
_FINDS: dict[tuple[bool, bool], Any] = {}
_USABLE_WINDOWS = (maintenance_windows.c.starts_at >= INSTANT_MIN, maintenance_windows.c.ends_at < INSTANT_MAX)
_USABLE_SILENCES = (silences.c.expires_at < INSTANT_MAX,)
_DIALECT_STATEMENTS: dict[tuple[str, str], Any] = {}


def _dialect_statement(session: Session, name: str, build):
    engine = session.get_bind()
    key = (engine.dialect.name, name)
    statement = _DIALECT_STATEMENTS.get(key)
    if statement is None:
        statement = _DIALECT_STATEMENTS[key] = build(dialect_insert(engine))
    return statement


def _rate_upsert(insert):
    statement = insert(alert_rate)
    return statement.on_conflict_do_update(index_elements=["integration_id", "window_start"],
                                           set_={"count": alert_rate.c.count + statement.excluded.count}
                                           ).returning(alert_rate.c.count)


def _group_insert(insert):
    # RETURNING: a row that comes back is new and ours until commit (a same-key post's INSERT waits on it).
    return insert(alert_groups).on_conflict_do_nothing(index_elements=["integration_id", "dedup_key"]).returning(
        *alert_groups.c)


def _find_statement(with_incident: bool, with_outcome: bool):
    statement = _FINDS.get((with_incident, with_outcome))
    if statement is None:
        conditions = [alerts.c.integration_id == bindparam("integration_id"),
                      alerts.c.dedup_key == bindparam("dedup_key"), alerts.c.fingerprint == bindparam("fingerprint"),
                      alerts.c.incident_id == bindparam("incident_id") if with_incident
                      else alerts.c.incident_id.is_(None)]
        if with_outcome:
            conditions.append(alerts.c.outcome == bindparam("outcome"))
        statement = _FINDS[(with_incident, with_outcome)] = select(alerts).where(*conditions)
    return statement


class IntegrationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(integrations.insert().values(values))

    def get(self, integration_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(integrations).where(integrations.c.id == integration_id)).mappings()
        found = row.first()
        return _plain(found) if found else None

    def by_key_hash(self, key_hash: str) -> dict[str, Any] | None:
        row = self.session.execute(_BY_KEY_HASH, {"key_hash": key_hash}).mappings()
        found = row.first()
        return _plain(found) if found else None

    def by_name(self, name: str) -> dict[str, Any] | None:
        found = self.session.execute(select(integrations).where(integrations.c.name == name)).mappings().first()
        return _plain(found) if found else None

    def list(self, limit: int, after: str | None) -> list[dict[str, Any]]:
        query = select(integrations).order_by(integrations.c.name).limit(limit)
        if after:
            query = query.where(integrations.c.name > after)
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def change(self, integration_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(integrations).where(integrations.c.id == integration_id).values(values))

    def remove(self, integration_id: str) -> None:
        self.session.execute(delete(integrations).where(integrations.c.id == integration_id))

    def count_in_window(self, integration_id: str, window_start: datetime, n: int) -> int:
        """Add n to this minute's count and return the new total (one statement, safe across replicas).

        Earlier minutes are pruned when this minute's row is created (the total is n), not on every post.
        """
        window = {"integration_id": integration_id, "window_start": window_start}
        statement = _dialect_statement(self.session, "rate_upsert", _rate_upsert)
        total = self.session.execute(statement, {**window, "count": n}).scalar_one()
        if total <= n:
            self.session.execute(_RATE_PRUNE, window)
        return total


class AlertRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_group(self, integration_id: str, dedup_key: str, now: datetime) -> dict[str, Any]:
        """The group row for a dedup key, locked: same-key posts line up, so one incident opens, not two."""
        key = {"integration_id": integration_id, "dedup_key": dedup_key}
        created = self.session.execute(_dialect_statement(self.session, "group_insert", _group_insert),
                                       {**key, "incident_id": None, "updated_at": now}).mappings().first()
        if created is not None:  # a new key: no SELECT … FOR UPDATE needed
            return dict(created)
        query = _GROUP if self.session.get_bind().dialect.name == "sqlite" else _GROUP_LOCKED
        return dict(self.session.execute(query, key).mappings().one())

    def set_group_incident(self, integration_id: str, dedup_key: str, incident_id: str, now: datetime) -> None:
        self.session.execute(_GROUP_INCIDENT, {"w_integration_id": integration_id, "w_dedup_key": dedup_key,
                                               "incident_id": incident_id, "updated_at": now})

    def find(self, integration_id: str, dedup_key: str, fingerprint: str, incident_id: str | None,
             outcome: str | None = None) -> dict[str, Any] | None:
        params = {"integration_id": integration_id, "dedup_key": dedup_key, "fingerprint": fingerprint,
                  "incident_id": incident_id, "outcome": outcome}
        row = self.session.execute(_find_statement(bool(incident_id), bool(outcome)), params).mappings().first()
        return _plain(row) if row else None

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(_ALERT_INSERT, values)

    def change(self, alert_id: str, values: dict[str, Any]) -> None:
        self.session.execute(_ALERT_CHANGE, {**values, "w_id": alert_id})

    def bump(self, alert_id: str, n: int, now: datetime, values: dict[str, Any]) -> None:
        self.session.execute(_ALERT_BUMP, {"last_seen": now, **values, "w_id": alert_id, "w_n": n})

    def for_incident(self, incident_id: str) -> list[dict[str, Any]]:
        query = select(alerts).where(alerts.c.incident_id == incident_id).order_by(alerts.c.first_seen, alerts.c.id)
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def firing_count(self, incident_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(alerts).where(
            alerts.c.incident_id == incident_id, alerts.c.status == "firing")).scalar_one()

    def list(self, limit: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The newest alerts whose columns equal `filters`."""
        conditions = [alerts.c[name] == value for name, value in filters.items()]
        query = select(alerts).where(*conditions).order_by(alerts.c.last_seen.desc(), alerts.c.id.desc())
        return [_plain(r) for r in self.session.execute(query.limit(limit)).mappings()]

    def total_count(self, integration_id: str | None = None) -> int:
        query = select(func.coalesce(func.sum(alerts.c.count), 0))
        if integration_id:
            query = query.where(alerts.c.integration_id == integration_id)
        return int(self.session.execute(query).scalar_one())


class SuppressionRepository:
    """Maintenance windows and silences."""

    def __init__(self, session: Session):
        self.session = session

    def add_window(self, values: dict[str, Any]) -> None:
        self.session.execute(maintenance_windows.insert().values(values))

    def add_silence(self, values: dict[str, Any]) -> None:
        self.session.execute(silences.insert().values(values))

    # Rows whose instants lie beyond what the driver can read back (stored before the API checked the range)
    # are skipped in SQL, so one bad row cannot fail intake or the listings; the listings log them.
    def _usable_windows(self):
        return _USABLE_WINDOWS

    def _usable_silences(self):
        return _USABLE_SILENCES

    def active_window(self, integration_id: str, team: str | None, now: datetime) -> dict[str, Any] | None:
        statement = _ACTIVE_WINDOW_OR_TEAM if team else _ACTIVE_WINDOW
        row = self.session.execute(statement, {"integration_id": integration_id, "team": team, "now": now}
                                   ).mappings().first()
        return _plain(row) if row else None

    def active_silences(self, integration_id: str, now: datetime) -> list[dict[str, Any]]:
        rows = self.session.execute(_ACTIVE_SILENCES, {"integration_id": integration_id, "now": now}).mappings()
        return [_plain(r) for r in rows]

    def windows(self, now: datetime) -> list[dict[str, Any]]:
        mw = maintenance_windows
        self._log_unusable("maintenance window", mw, and_(*self._usable_windows()))
        query = select(mw).where(mw.c.ends_at > now, *self._usable_windows()).order_by(mw.c.starts_at)
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def silences(self, now: datetime) -> list[dict[str, Any]]:
        self._log_unusable("silence", silences, and_(*self._usable_silences()))
        query = select(silences).where(silences.c.expires_at > now, *self._usable_silences()).order_by(
            silences.c.expires_at)
        return [_plain(r) for r in self.session.execute(query).mappings()]

    def _log_unusable(self, what: str, table, usable) -> None:
        ids = list(self.session.execute(select(table.c.id).where(~usable).limit(20)).scalars())
        if ids:
            logger.warning("skipping %s rows with instants out of range (delete them): %s", what, ", ".join(ids))

    def remove_window(self, window_id: str) -> bool:
        return bool(self.session.execute(delete(maintenance_windows).where(
            maintenance_windows.c.id == window_id)).rowcount)

    def remove_silence(self, silence_id: str) -> bool:
        return bool(self.session.execute(delete(silences).where(silences.c.id == silence_id)).rowcount)


def _active_window(with_team: bool):
    mw = maintenance_windows
    scope = [mw.c.integration_id == bindparam("integration_id")]
    if with_team:
        scope.append(and_(mw.c.integration_id.is_(None), mw.c.team == bindparam("team")))
    now = bindparam("now", type_=mw.c.starts_at.type)
    return select(mw).where(mw.c.starts_at <= now, mw.c.ends_at > now, or_(*scope),
                            *_USABLE_WINDOWS).limit(1)


_ACTIVE_WINDOW, _ACTIVE_WINDOW_OR_TEAM = _active_window(False), _active_window(True)
_ACTIVE_SILENCES = select(silences).where(
    silences.c.expires_at > bindparam("now", type_=silences.c.expires_at.type),
    or_(silences.c.integration_id.is_(None), silences.c.integration_id == bindparam("integration_id")),
    *_USABLE_SILENCES)
