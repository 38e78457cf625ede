"""Incident persistence: load, add, save with an optimistic version check, and list."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from libs.common.db import dialect_insert
from libs.common.envelope import as_utc
from services.incident.adapters.children_repository import child_insert
from services.incident.adapters.orm import incidents, roles, timeline
from services.incident.adapters.timeline_repository import TIMELINE_INSERT
from services.incident.domain.errors import VersionConflict
from services.incident.domain.model import PRIORITIES, SEVERITIES, Incident, new_reference

_COLUMNS = tuple(f.name for f in fields(Incident) if f.name != "events")
_TIMES = ("created_at", "updated_at", "acknowledged_at", "started_at", "resolved_at", "closed_at", "reopened_at",
          "detected_at")
SORTS = {"created_at": incidents.c.created_at, "updated_at": incidents.c.updated_at,
         "priority": incidents.c.priority_rank, "severity": incidents.c.severity_rank}


def _row(incident: Incident) -> dict[str, Any]:
    values = {c: getattr(incident, c) for c in _COLUMNS}
    values["priority_rank"] = PRIORITIES.index(incident.priority)
    values["severity_rank"] = SEVERITIES.index(incident.severity)
    return values


_INSERTS: dict[str, Any] = {}
# Built once: the SET clause comes from the parameters' keys (the row's columns), the check from w_id/w_version.
_SAVE = update(incidents).where(incidents.c.id == bindparam("w_id"), incidents.c.version == bindparam("w_version"))


def _insert_if_new_reference(session: Session):
    """INSERT … ON CONFLICT (reference) DO NOTHING, built once per dialect so its compiled form is cached."""
    engine = session.get_bind()
    statement = _INSERTS.get(engine.dialect.name)
    if statement is None:
        # RETURNING, not rowcount: psycopg reports -1 rows for it here.
        statement = (dialect_insert(engine)(incidents).on_conflict_do_nothing(index_elements=["reference"])
                     .returning(incidents.c.id))
        _INSERTS[engine.dialect.name] = statement
    return statement


_DECLARES: dict[tuple[str, ...], Any] = {}


def _params(prefix: str, table, names) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}


def _declare_statement(incident_keys: tuple[str, ...], role_keys: tuple[str, ...], entry_keys: tuple[str, ...]):
    """PostgreSQL: the incident, its role and its first timeline entry in one statement (data-modifying CTEs).

    The role and the entry are selected from the incident's INSERT … ON CONFLICT (reference) DO NOTHING
    RETURNING id: when the reference is taken, nothing is written and no entry id comes back.
    """
    key = (incident_keys, role_keys, entry_keys)
    statement = _DECLARES.get(key)
    if statement is None:
        from sqlalchemy.dialects.postgresql import insert

        new_incident = (insert(incidents).values(_params("i_", incidents, incident_keys))
                        .on_conflict_do_nothing(index_elements=["reference"]).returning(incidents.c.id)
                        .cte("new_incident"))
        role_values = _params("r_", roles, (k for k in role_keys if k != "incident_id"))
        new_role = roles.insert().from_select(["incident_id", *role_values],
                                              select(new_incident.c.id, *role_values.values())).cte("new_role")
        entry_values = _params("t_", timeline, (k for k in entry_keys if k != "incident_id"))
        new_entry = (timeline.insert().from_select(["incident_id", *entry_values],
                                                   select(new_incident.c.id, *entry_values.values()))
                     .returning(timeline.c.id).cte("new_entry"))
        statement = _DECLARES[key] = select(new_entry.c.id).add_cte(new_role)
    return statement


def from_row(row) -> Incident:
    data = {c: row[c] for c in _COLUMNS}
    for name in _TIMES:
        if data[name] is not None:
            data[name] = as_utc(data[name])
    return Incident(**data)


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, incident: Incident) -> None:
        """Insert; on the rare clash of readable references, draw a new one (the unique index decides)."""
        # ON CONFLICT on the reference only, not a SAVEPOINT around a plain INSERT: two round trips less per
        # incident. A clash on the id (a bug) still raises IntegrityError.
        statement = _insert_if_new_reference(self.session)
        for _ in range(5):
            if self.session.execute(statement, _row(incident)).first() is not None:
                return
            incident.reference = new_reference(incident.created_at)
        raise RuntimeError("could not find a free incident reference")

    def add_declared(self, incident: Incident, role: dict[str, Any], entry: dict[str, Any]) -> int:
        """Insert a new incident with a role row and its first timeline entry; the entry's id.

        One statement on PostgreSQL, three elsewhere; a clash of references draws a new one, as `add` does.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            self.add(incident)
            self.session.execute(child_insert(roles), role)
            return self.session.execute(TIMELINE_INSERT, entry).scalar_one()
        row = _row(incident)
        statement = _declare_statement(tuple(row), tuple(role), tuple(entry))
        params = {f"r_{k}": v for k, v in role.items()} | {f"t_{k}": v for k, v in entry.items()}
        for _ in range(5):
            params.update({f"i_{k}": v for k, v in row.items()})
            entry_id = self.session.execute(statement, params).scalar()
            if entry_id is not None:
                return entry_id
            incident.reference = row["reference"] = new_reference(incident.created_at)
        raise RuntimeError("could not find a free incident reference")

    def get(self, incident_id: str, for_update: bool = False) -> Incident | None:
        query = select(incidents).where(incidents.c.id == incident_id)
        if for_update and self.session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.session.execute(query).mappings().first()
        return from_row(row) if row else None

    def save(self, incident: Incident, loaded_version: int) -> None:
        """Write the incident back if nobody else did since `loaded_version`; bump its version."""
        values = _row(incident)
        values.update(version=loaded_version + 1, w_id=incident.id, w_version=loaded_version)
        result = self.session.execute(_SAVE, values)
        if result.rowcount != 1:
            current = self.session.execute(select(incidents.c.version).where(incidents.c.id == incident.id)).scalar()
            raise VersionConflict(loaded_version, current or 0)
        incident.version = loaded_version + 1

    def list(self, query: Select) -> list[Incident]:
        return [from_row(r) for r in self.session.execute(query).mappings()]


def visible_filter(teams: tuple[str, ...] | None):
    """Private incidents only for their team (None: no restriction, for admins)."""
    if teams is None:
        return None
    return or_(incidents.c.private.is_(False), incidents.c.team.in_(teams))


def keyset(sort: str, descending: bool, after: tuple[Any, str] | None):
    """Condition for the page after (sort value, id), stable under concurrent inserts."""
    if after is None:
        return None
    column = SORTS[sort]
    value, last_id = after
    if descending:
        return or_(column < value, and_(column == value, incidents.c.id < last_id))
    return or_(column > value, and_(column == value, incidents.c.id > last_id))
