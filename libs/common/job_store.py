"""The jobs table and its store: one row per idempotency key (see libs.common.jobs for the worker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from libs.common.clock import Clock, SystemClock
from libs.common.envelope import as_utc
from libs.common.tables import BigId
from libs.common.wakeup import JOBS_CHANNEL, notify_after_insert

PENDING, RUNNING, SUCCEEDED, DEAD, CANCELLED = "pending", "running", "succeeded", "dead", "cancelled"
STATUSES = (PENDING, RUNNING, SUCCEEDED, DEAD, CANCELLED)
# An outcome, not a row status: the row goes back to pending with a later due_at.
RETRYING = "retrying"


def define_jobs_table(metadata: MetaData) -> Table:
    """The `jobs` table; a service that makes outbound calls adds it to its metadata."""
    jobs = Table(
        "jobs",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("kind", String(100), nullable=False),
        Column("key", String(255), nullable=False),
        Column("group", String(255), index=True),
        Column("payload", JSON, nullable=False),
        Column("status", String(16), nullable=False),
        Column("due_at", DateTime(timezone=True), nullable=False, index=True),
        Column("attempts", Integer, nullable=False),
        # NULL: the worker's max_attempts applies.
        Column("max_attempts", Integer),
        Column("lease_until", DateTime(timezone=True)),
        Column("leased_by", String(200)),
        Column("last_error", Text),
        Column("result", JSON),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True)),
    )
    # The idempotency key: enqueue relies on it (ON CONFLICT (key) DO NOTHING).
    Index("ux_jobs_key", jobs.c.key, unique=True)
    # Claims look up running rows by lease expiry; pending ones go through the due_at index.
    Index("ix_jobs_status_lease_until", jobs.c.status, jobs.c.lease_until)
    notify_after_insert(jobs, JOBS_CHANNEL)  # wakes the job workers when jobs commit
    return jobs


@dataclass(frozen=True)
class Job:
    """One leased attempt at a job, as a performer sees it (`attempts` counts this one)."""

    id: int
    kind: str
    key: str
    group: str | None
    payload: dict[str, Any]
    attempts: int
    due_at: datetime


@dataclass(frozen=True)
class JobOutcome:
    """What one attempt came to: succeeded, retrying (at `retry_at`) or dead."""

    status: str
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    at: datetime
    retry_at: datetime | None = None


class PermanentFailure(Exception):
    """Raised by a performer when retrying cannot help (e.g. a 4xx): the job is dead now."""


Performer = Callable[[Job], "dict[str, Any] | None"]
Recorder = Callable[[Session, Job, JobOutcome], None]


def _insert_for(session: Session):
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert


def _row_dict(row) -> dict[str, Any]:
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row._mapping.items()}


class JobStore:
    """Enqueue, cancel and read jobs inside the caller's transaction."""

    def __init__(self, table: Table, clock: Clock | None = None):
        self.table = table
        self.clock = clock or SystemClock()
        self._enqueue_statements: dict[str, Any] = {}

    def enqueue(self, session: Session, kind: str, key: str, payload: dict[str, Any],
                due_at: datetime | None = None, group: str | None = None,
                max_attempts: int | None = None) -> bool:
        """Add a job unless one with `key` exists; True if this call created it."""
        now = self.clock.now()
        row = {"kind": kind, "key": key, "group": group, "payload": payload, "status": PENDING,
               "due_at": due_at or now, "attempts": 0, "max_attempts": max_attempts, "created_at": now,
               "updated_at": now}
        # rowcount is not reliable for INSERT .. ON CONFLICT on every driver; RETURNING is.
        # The table's INSERT trigger wakes the job workers at commit, even for a later due_at (a sleeping worker
        # re-reads its next due) or a key already taken (a spurious wake-up costs one poll).
        return session.execute(self._enqueue_statement(session), row).first() is not None

    def _enqueue_statement(self, session: Session):
        # Built once per dialect with values as parameters: a statement built per call is compiled per call.
        dialect = session.get_bind().dialect.name
        if dialect not in self._enqueue_statements:
            insert = _insert_for(session)
            self._enqueue_statements[dialect] = (insert(self.table).on_conflict_do_nothing(index_elements=["key"])
                                                 .returning(self.table.c.id))
        return self._enqueue_statements[dialect]

    def cancel_group(self, session: Session, group: str) -> int:
        """Cancel the group's pending jobs; a running one finishes its call. Returns how many."""
        t, now = self.table, self.clock.now()
        result = session.execute(update(t).where(t.c.group == group, t.c.status == PENDING)
                                 .values(status=CANCELLED, finished_at=now, updated_at=now))
        return result.rowcount or 0

    def get(self, session: Session, key: str) -> dict[str, Any] | None:
        """The job row with `key`, as a dict, or None."""
        row = session.execute(select(self.table).where(self.table.c.key == key)).first()
        return _row_dict(row) if row else None

    def pending_by_kind(self, session: Session) -> dict[str, int]:
        """Jobs not finished yet (pending or running), per kind."""
        t = self.table
        rows = session.execute(select(t.c.kind, func.count()).where(t.c.status.in_((PENDING, RUNNING)))
                               .group_by(t.c.kind))
        return {kind: count for kind, count in rows}

