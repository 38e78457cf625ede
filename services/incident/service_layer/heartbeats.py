"""Heartbeats: a sender pings every interval; a missed ping opens an incident for the team, the next resolves it."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from libs.common.envelope import as_utc
from libs.common.timers import Timer
from services.incident.adapters.orm import heartbeats
from services.incident.domain.errors import InvalidValue, NotFoundError
from services.incident.service_layer.handlers import open_incident
from services.incident.service_layer.intake import alerts_received
from services.incident.service_layer.integrations import hash_key
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

MISSED = "heartbeat.missed"
UP, DOWN, NEW = "up", "down", "new"
_TIMES = ("last_ping_at", "created_at")


def _plain(row) -> dict[str, Any]:
    out = dict(row)
    for name in _TIMES:
        if out.get(name) is not None:
            out[name] = as_utc(out[name])
    return out


def _get(uow: IncidentUnitOfWork, name: str, for_update: bool = False) -> dict[str, Any] | None:
    query = select(heartbeats).where(heartbeats.c.name == name)
    if for_update and uow.session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = uow.session.execute(query).mappings().first()
    return _plain(row) if row else None


def _arm(uow: IncidentUnitOfWork, beat: dict[str, Any], since: datetime) -> None:
    """The next ping is due interval + grace after `since`; the timer carries the heartbeat's version."""
    due = since + timedelta(seconds=beat["interval_seconds"] + beat["grace_seconds"])
    uow.timers.schedule(uow.session, MISSED, beat["id"], due, {"name": beat["name"], "version": beat["version"]})


def create_heartbeat(uow: IncidentUnitOfWork, values: dict[str, Any], actor: str) -> tuple[dict[str, Any], str]:
    """A new heartbeat and its ping key (shown once); its first ping is due one interval from now."""
    key = "fbh_" + secrets.token_urlsafe(32)
    with uow:
        if _get(uow, values["name"]) is not None:
            raise InvalidValue(f"a heartbeat named {values['name']!r} exists", "name")
        now = uow.clock.now()
        beat = {"id": str(uuid.uuid4()), "name": values["name"], "team": values.get("team"),
                "interval_seconds": values["interval_seconds"], "grace_seconds": values.get("grace_seconds", 0),
                "severity": values.get("severity", "major"), "priority": values.get("priority", "high"),
                "key_hash": hash_key(key), "status": NEW, "last_ping_at": None, "incident_id": None,
                "created_by": actor, "created_at": now, "version": 1}
        uow.session.execute(insert(heartbeats).values(beat))
        _arm(uow, beat, now)
        uow.commit()
    return beat, key


def list_heartbeats(uow: IncidentUnitOfWork) -> list[dict[str, Any]]:
    """Every heartbeat by name."""
    with uow:
        rows = uow.session.execute(select(heartbeats).order_by(heartbeats.c.name)).mappings().all()
        return [_plain(r) for r in rows]


def get_heartbeat(uow: IncidentUnitOfWork, name: str) -> dict[str, Any]:
    """One heartbeat by name."""
    with uow:
        beat = _get(uow, name)
    if beat is None:
        raise NotFoundError(f"no heartbeat {name}")
    return beat


def delete_heartbeat(uow: IncidentUnitOfWork, name: str) -> None:
    """Stop watching a heartbeat (an incident it opened stays as it is)."""
    with uow:
        beat = _get(uow, name)
        if beat is None:
            raise NotFoundError(f"no heartbeat {name}")
        uow.timers.cancel(uow.session, MISSED, beat["id"])
        uow.session.execute(delete(heartbeats).where(heartbeats.c.id == beat["id"]))
        uow.commit()


def ping_key_matches(uow: IncidentUnitOfWork, name: str, key: str) -> bool:
    with uow:
        beat = _get(uow, name)
    return beat is not None and secrets.compare_digest(beat["key_hash"], hash_key(key))


def ping(uow: IncidentUnitOfWork, name: str, actor: str) -> dict[str, Any]:
    """Note a ping, re-arm the timer; a heartbeat that was down comes back up and resolves its incident."""
    with uow:
        now = uow.clock.now()
        probe = _get(uow, name)
        if probe is None:
            raise NotFoundError(f"no heartbeat {name}")
        uow.timers.lock(uow.session, [(MISSED, probe["id"])])  # timer rows before the aggregate's rows
        beat = _get(uow, name, for_update=True)
        if beat is None:
            raise NotFoundError(f"no heartbeat {name}")
        if beat["status"] == DOWN and beat["incident_id"]:
            incident = uow.incidents.get(beat["incident_id"], for_update=True)
            if incident is not None and incident.is_open:
                loaded = incident.version
                incident.resolve(actor, now, "fixed", f"Heartbeat {name} pinged again.")
                save(uow, incident, loaded)
                uow.on_commit(lambda: alerts_received.labels("heartbeat", "resolved").inc())
        beat.update(status=UP, last_ping_at=now, incident_id=None, version=beat["version"] + 1)
        uow.session.execute(update(heartbeats).where(heartbeats.c.id == beat["id"]).values(
            status=UP, last_ping_at=now, incident_id=None, version=beat["version"]))
        _arm(uow, beat, now)
        uow.commit()
    return beat


def handle_missed(uow: IncidentUnitOfWork, timer: Timer) -> None:
    """The ping did not come: open an incident for the heartbeat's team (once, until it pings again)."""
    row = uow.session.execute(select(heartbeats).where(heartbeats.c.id == timer.key)).mappings().first()
    if row is None or row["version"] != timer.payload.get("version") or row["status"] == DOWN:
        return  # deleted, pinged since, or already down: a stale or duplicate firing does nothing
    beat = _plain(row)
    now = uow.clock.now()
    last = f"last ping {beat['last_ping_at']:%Y-%m-%d %H:%M:%S} UTC" if beat["last_ping_at"] else "never pinged"
    fields = {"team": beat["team"], "source": "monitoring", "detection_method": "monitor",
              "description": f"No ping from heartbeat {beat['name']} within {beat['interval_seconds']} s "
                             f"(+{beat['grace_seconds']} s grace); {last}.",
              "detected_at": min(as_utc(timer.due_at), now)}
    incident, _ = open_incident(uow, f"Heartbeat missed: {beat['name']}", beat["severity"], beat["priority"],
                                f"heartbeat:{beat['name']}", fields, now)
    uow.session.execute(update(heartbeats).where(heartbeats.c.id == beat["id"]).values(
        status=DOWN, incident_id=incident.id, version=beat["version"] + 1))
    uow.on_commit(lambda: alerts_received.labels("heartbeat", "new_incident").inc())
