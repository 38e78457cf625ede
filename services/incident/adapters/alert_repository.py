"""Integrations, alerts and their groups, rate windows, maintenance windows and silences."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
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
        row = self.session.execute(select(integrations).where(integrations.c.key_hash == key_hash)).mappings()
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
        """Add n to this minute's count and return the new total (one statement, safe across replicas)."""
        insert = dialect_insert(self.session.get_bind())(alert_rate).values(
            integration_id=integration_id, window_start=window_start, count=n)
        statement = insert.on_conflict_do_update(
            index_elements=["integration_id", "window_start"], set_={"count": alert_rate.c.count + n}
        ).returning(alert_rate.c.count)
        total = self.session.execute(statement).scalar_one()
        self.session.execute(delete(alert_rate).where(alert_rate.c.integration_id == integration_id,
                                                      alert_rate.c.window_start < window_start))
        return total


class AlertRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_group(self, integration_id: str, dedup_key: str, now: datetime) -> dict[str, Any]:
        """The group row for a dedup key, locked: same-key posts line up, so one incident opens, not two."""
        insert = dialect_insert(self.session.get_bind())(alert_groups).values(
            integration_id=integration_id, dedup_key=dedup_key, incident_id=None, updated_at=now)
        self.session.execute(insert.on_conflict_do_nothing(index_elements=["integration_id", "dedup_key"]))
        query = select(alert_groups).where(alert_groups.c.integration_id == integration_id,
                                           alert_groups.c.dedup_key == dedup_key)
        if self.session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        return dict(self.session.execute(query).mappings().one())

    def set_group_incident(self, integration_id: str, dedup_key: str, incident_id: str, now: datetime) -> None:
        self.session.execute(update(alert_groups).where(
            alert_groups.c.integration_id == integration_id, alert_groups.c.dedup_key == dedup_key
        ).values(incident_id=incident_id, updated_at=now))

    def find(self, integration_id: str, dedup_key: str, fingerprint: str, incident_id: str | None,
             outcome: str | None = None) -> dict[str, Any] | None:
        conditions = [alerts.c.integration_id == integration_id, alerts.c.dedup_key == dedup_key,
                      alerts.c.fingerprint == fingerprint,
                      alerts.c.incident_id == incident_id if incident_id else alerts.c.incident_id.is_(None)]
        if outcome:
            conditions.append(alerts.c.outcome == outcome)
        row = self.session.execute(select(alerts).where(*conditions)).mappings().first()
        return _plain(row) if row else None

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(alerts.insert().values(values))

    def change(self, alert_id: str, values: dict[str, Any]) -> None:
        self.session.execute(update(alerts).where(alerts.c.id == alert_id).values(values))

    def bump(self, alert_id: str, n: int, now: datetime, values: dict[str, Any]) -> None:
        self.session.execute(update(alerts).where(alerts.c.id == alert_id).values(
            count=alerts.c.count + n, last_seen=now, **values))

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
        mw = maintenance_windows
        return mw.c.starts_at >= INSTANT_MIN, mw.c.ends_at < INSTANT_MAX

    def _usable_silences(self):
        return (silences.c.expires_at < INSTANT_MAX,)

    def active_window(self, integration_id: str, team: str | None, now: datetime) -> dict[str, Any] | None:
        mw = maintenance_windows
        scope = [mw.c.integration_id == integration_id]
        if team:
            scope.append(and_(mw.c.integration_id.is_(None), mw.c.team == team))
        row = self.session.execute(select(mw).where(mw.c.starts_at <= now, mw.c.ends_at > now, or_(*scope),
                                                    *self._usable_windows()).limit(1)).mappings().first()
        return _plain(row) if row else None

    def active_silences(self, integration_id: str, now: datetime) -> list[dict[str, Any]]:
        query = select(silences).where(silences.c.expires_at > now, or_(silences.c.integration_id.is_(None),
                                                                         silences.c.integration_id == integration_id),
                                       *self._usable_silences())
        return [_plain(r) for r in self.session.execute(query).mappings()]

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
