"""Named configuration resources: create, list (keyset pages), get, replace/patch with ETag+If-Match, delete.

A resource is a table with a unique name column (and usually `id`, `version`, `created_at`, `updated_at`),
a marshmallow schema and, if it needs one, a validation hook. `Resource` is the service-layer half (one
transaction per call, hooks, events). The HTTP half lives in resource_routes.py; import it from here:

    resource_blueprint(resource, schema, url_prefix, *, name=None, description=None, operations=None,
                       patch_schema=None, path_param="id", write_role="admin", read_role="viewer", load=None,
                       view=None, page_name=None, summaries=None, require_if_match=False,
                       list_args=PageArgsSchema, filters=None) -> flask_smorest.Blueprint

Usage, e.g. escalation's teams (`/v1/teams/{name}`):

    # adapters/orm.py
    teams = Table("teams", metadata, Column("id", String(36), primary_key=True),
                  Column("name", String(100), nullable=False, unique=True), Column("members", JSON, nullable=False),
                  Column("version", Integer, nullable=False), Column("created_at", DateTime(timezone=True),
                  nullable=False), Column("updated_at", DateTime(timezone=True), nullable=False))

    # service_layer/teams.py
    def _check(change: Change) -> dict:
        if len(set(change.values["members"])) != len(change.values["members"]):
            raise invalid("members", "a user is listed twice")
        return change.values                      # the column values to store

    def _announce(change: Change) -> None:        # same transaction as the write (outbox)
        team = change.row or change.current
        change.uow.emit("firebreak.escalation.team_changed.v1", {"name": team["name"], "action": change.action})

    TEAMS = Resource(orm.teams, "team", lookup=("name", "id"), validate=_check, on_change=_announce)

    # entrypoints/teams.py
    blp = resource_blueprint(TEAMS, TeamSchema, "/v1/teams", path_param="name", description="Teams.")

Errors are problem+json: 404 naming the resource, 409 on a duplicate name (field `name`) or a stale If-Match
(extension `current_version`, as the incident API answers), 422 from hooks (`invalid(field, message)`),
400 on a malformed If-Match. Reads need any token; writes need `write_role` (admin by default).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from libs.common.auth import Principal
from libs.common.envelope import as_utc, utcnow
from libs.common.errors import Conflict, NotFound, Unprocessable, field_errors
from libs.common.pagination import decode_cursor, encode_cursor
from libs.common.resource_routes import OPERATIONS, PreconditionRequired, expected_version, resource_blueprint
from libs.common.uow import UnitOfWork

__all__ = ["OPERATIONS", "Change", "Hook", "PreconditionRequired", "Resource", "conflict", "expected_version",
           "invalid", "resource_blueprint"]

MANAGED = ("version", "created_at", "updated_at")


@dataclass
class Change:
    """What a hook sees: the open unit of work, the action and the values before and after."""

    uow: UnitOfWork
    action: str  # "create" | "replace" | "patch" | "delete"
    values: dict[str, Any]  # incoming values (for patch: the stored row merged with the patch)
    current: dict[str, Any] | None = None  # the stored row before the change (None on create)
    principal: Principal | None = None
    row: dict[str, Any] | None = None  # the stored row after the change (on_change only; None on delete)
    extra: dict[str, Any] = field(default_factory=dict)  # free room for hooks to pass things along


Hook = Callable[[Change], Any]


def invalid(field_name: str, message: str, detail: str | None = None) -> Unprocessable:
    """A 422 problem naming the field at fault (raise it from a validate hook)."""
    return Unprocessable(detail or message, errors=field_errors(field_name, message))


def conflict(field_name: str, message: str, detail: str | None = None, **extensions: Any) -> Conflict:
    """A 409 problem naming the field at fault (raise it from a hook)."""
    return Conflict(detail or message, errors=field_errors(field_name, message), **extensions)


class Resource:
    """The service-layer half: each method but `find_in` opens the unit of work and commits."""

    def __init__(self, table: Table, noun: str, *, lookup: Sequence[str] | None = None, name_field: str = "name",
                 validate: Hook | None = None, on_change: Hook | None = None, before_delete: Hook | None = None,
                 duplicate_status: int = 409, plural: str | None = None):
        """`noun` names it in messages ("SLA policy"); `lookup`: columns a path reference may match, in order
        (default: the primary key); `validate(change) -> values to store` (or None: store change.values);
        `on_change(change)` after each write, same transaction; `before_delete(change)` may refuse a delete;
        `duplicate_status`: 409, or 422 where an API has always said so; `plural` for summaries."""
        self.table = table
        self.noun = noun
        self.plural = plural or (noun[:-1] + "ies" if re.search(r"[^aeiou]y$", noun) else noun + "s")
        self.key = next(iter(table.primary_key.columns)).name
        self.lookup = tuple(lookup or (self.key,))
        self.name_field = name_field
        self.validate = validate
        self.on_change = on_change
        self.before_delete = before_delete
        self.duplicate_status = duplicate_status
        self.versioned = "version" in table.c

    # -- reads -------------------------------------------------------------------------------------
    def list(self, uow: UnitOfWork, limit: int = 50, cursor: str | None = None,
             where: Iterable[Any] = ()) -> dict[str, Any]:
        """A page `{items, next_cursor}` ordered by name; `where`: extra SQLAlchemy filters."""
        order = self.table.c[self.name_field]
        query = select(self.table).where(*where).order_by(order).limit(limit + 1)
        if cursor:
            query = query.where(order > _after(cursor))
        with uow:
            rows = [_plain(r) for r in uow.session.execute(query).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": rows, "next_cursor": encode_cursor([rows[-1][self.name_field]]) if more else None}

    def get(self, uow: UnitOfWork, ref: str) -> dict[str, Any]:
        """The stored row `ref` names (by the `lookup` columns); NotFound (404) if none."""
        with uow:
            return self._existing(uow, ref)

    def find_in(self, uow: UnitOfWork, ref: str, lock: bool = False) -> dict[str, Any] | None:
        """The row `ref` names, inside a transaction the caller already holds (for hooks)."""
        for column in self.lookup:
            query = select(self.table).where(self.table.c[column] == ref)
            if lock and uow.session.get_bind().dialect.name != "sqlite":
                query = query.with_for_update()
            row = uow.session.execute(query).mappings().first()
            if row is not None:
                return _plain(row)
        return None

    # -- writes ------------------------------------------------------------------------------------
    def create(self, uow: UnitOfWork, values: dict[str, Any], principal: Principal | None = None) -> dict[str, Any]:
        """Store a new one (id generated, version 1); 409 if the name is taken."""
        with uow:
            change = Change(uow, "create", dict(values), None, principal)
            stored = self._checked(change)
            now = _now(uow)
            if self.key not in stored or stored[self.key] is None:
                stored[self.key] = str(uuid.uuid4())
            stored.update(self._stamps(now, version=1, created=True))
            with self._clashes("create"):
                uow.session.execute(self.table.insert().values(stored))
            return self._finish(change, stored[self.key])

    def replace(self, uow: UnitOfWork, ref: str, values: dict[str, Any], expected: int | None = None,
                principal: Principal | None = None) -> dict[str, Any]:
        """Replace every field (version + 1); 409 if `expected` is not the stored version."""
        return self._write(uow, "replace", ref, values, expected, principal)

    def patch(self, uow: UnitOfWork, ref: str, changes: dict[str, Any], expected: int | None = None,
              principal: Principal | None = None) -> dict[str, Any]:
        """Change the given fields (merged onto the stored row, then validated whole); as replace otherwise."""
        return self._write(uow, "patch", ref, changes, expected, principal)

    def delete(self, uow: UnitOfWork, ref: str, expected: int | None = None,
               principal: Principal | None = None) -> None:
        """Delete it; 404 if absent, 409 if stale or if `before_delete` refuses."""
        with uow:
            current = self._existing(uow, ref, lock=True)
            self._check_version(current, expected)
            change = Change(uow, "delete", {}, current, principal)
            if self.before_delete is not None:
                self.before_delete(change)
            with self._clashes("delete"):
                uow.session.execute(delete(self.table).where(self.table.c[self.key] == current[self.key]))
            if self.on_change is not None:
                self.on_change(change)
            with self._clashes("delete"):
                uow.commit()

    # -- the parts ---------------------------------------------------------------------------------
    def _write(self, uow, action, ref, values, expected, principal) -> dict[str, Any]:
        with uow:
            current = self._existing(uow, ref, lock=True)
            self._check_version(current, expected)
            incoming = {**_columns_of(self.table, current), **values} if action == "patch" else dict(values)
            change = Change(uow, action, incoming, current, principal)
            stored = self._checked(change)
            stored.update(self._stamps(_now(uow), version=current.get("version", 0) + 1, created=False))
            with self._clashes(action):
                uow.session.execute(update(self.table).where(self.table.c[self.key] == current[self.key])
                                    .values(stored))
            return self._finish(change, stored.get(self.key, current[self.key]))

    def _checked(self, change: Change) -> dict[str, Any]:
        """Run the validate hook, then the name's uniqueness; the column values to store."""
        stored = self.validate(change) if self.validate is not None else None
        stored = dict(change.values if stored is None else stored)
        stored = {k: v for k, v in stored.items() if k in self.table.c and k not in MANAGED}
        name = stored.get(self.name_field)
        if name is not None:
            clash = change.uow.session.execute(
                select(self.table.c[self.key]).where(self.table.c[self.name_field] == name)).first()
            if clash is not None and (change.current is None or clash[0] != change.current[self.key]):
                error = Conflict if self.duplicate_status == 409 else Unprocessable
                raise error(f"{self.noun} {name!r} already exists",
                            errors=field_errors(self.name_field, "already taken"))
        return stored

    def _finish(self, change: Change, key: Any) -> dict[str, Any]:
        row = _plain(change.uow.session.execute(
            select(self.table).where(self.table.c[self.key] == key)).mappings().one())
        change.row = row
        if self.on_change is not None:
            self.on_change(change)
        with self._clashes(change.action):
            change.uow.commit()
        return row

    def _existing(self, uow: UnitOfWork, ref: str, lock: bool = False) -> dict[str, Any]:
        row = self.find_in(uow, ref, lock)
        if row is None:
            raise NotFound(f"no {self.noun} {ref}")
        return row

    def _check_version(self, current: dict[str, Any], expected: int | None) -> None:
        if expected is not None and self.versioned and current["version"] != expected:
            raise Conflict(f"the {self.noun} changed: you sent version {expected}, it is now at "
                           f"{current['version']}; reload and retry", current_version=current["version"])

    def _stamps(self, now: datetime, version: int, created: bool) -> dict[str, Any]:
        stamps = {"version": version, "updated_at": now, "created_at": now if created else None}
        return {k: v for k, v in stamps.items() if k in self.table.c and v is not None}

    @contextmanager
    def _clashes(self, action: str) -> Iterator[None]:
        """A constraint the checks could not foresee: a 409, not a 500."""
        try:
            yield
        except IntegrityError:
            if action == "delete":
                raise Conflict(f"the {self.noun} is still in use; remove what refers to it first") from None
            # Someone else saved a clashing row between our check and our write.
            raise Conflict(f"another {self.noun} with this name or key was just saved; reload and retry") from None


def _after(cursor: str) -> str:
    return decode_cursor(cursor, str)[0]  # exactly [name]: anything else is a 400 naming `cursor`


def _now(uow: UnitOfWork) -> datetime:
    clock = getattr(uow, "clock", None)
    return clock.now() if clock is not None else utcnow()


def _plain(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dict(row).items()}


def _columns_of(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k in table.c and k not in MANAGED}
