"""Wake-ups on commit: an INSERT trigger NOTIFYs a channel in the writer's transaction; loops LISTEN, not sleep.

PostgreSQL delivers a NOTIFY only when its transaction commits (none on rollback), so a woken loop always
finds committed rows. Polling stays the fallback: on SQLite and the memory transport, while the database is
away, and as a safety net for a database without the triggers.
"""

from __future__ import annotations

import logging
import re
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import DDL, Engine, Table, event

logger = logging.getLogger(__name__)

OUTBOX_CHANNEL = "firebreak_outbox"
JOBS_CHANNEL = "firebreak_jobs"

_CHANNEL = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Wait in slices this long, so a set stop event ends a wait promptly.
SLICE_SECONDS = 0.2
# After a failed LISTEN connection, poll this long before trying again.
RETRY_SECONDS = 2.0
# Woken cycles start at least this far apart: under load several commits share a cycle (a wake per commit meant
# batches of one); at rates below 1/COALESCE_SECONDS a notification is answered at once.
COALESCE_SECONDS = 0.02


def coalesce_delay(since_last_wake: float, spacing: float = COALESCE_SECONDS) -> float:
    """Seconds a notified loop waits before its cycle, `since_last_wake` s after its previous woken cycle began."""
    return min(spacing, max(0.0, spacing - since_last_wake))


def notify_after_insert(table: Table, channel: str) -> None:
    """Have PostgreSQL NOTIFY `channel` after every INSERT into `table`, by a statement-level trigger.

    The database sends it, not the writer: no statement more per transaction. PostgreSQL delivers it at commit
    (none on rollback) and folds the duplicates of one transaction into one. Migrations create the same trigger
    literally; this attaches it to the table's CREATE for databases made from the metadata (tests, benchmarks).
    """
    function, trigger = f"firebreak_{_checked(channel).removeprefix('firebreak_')}_notify", f"{table.name}_notify"
    create_function = DDL(f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                          f"BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$")
    create_trigger = DDL(f"CREATE TRIGGER {trigger} AFTER INSERT ON {table.name} FOR EACH STATEMENT "
                         f"EXECUTE FUNCTION {function}()")
    event.listen(table, "after_create", create_function.execute_if(dialect="postgresql"))
    event.listen(table, "after_create", create_trigger.execute_if(dialect="postgresql"))
    event.listen(table, "after_drop", DDL(f"DROP FUNCTION IF EXISTS {function}()").execute_if(dialect="postgresql"))


def _checked(channel: str) -> str:
    if not _CHANNEL.fullmatch(channel):
        raise ValueError(f"not a channel name: {channel!r}")
    return channel


class Wakeup:
    """`wait` returns True when `channel` was notified, False after the timeout: LISTEN, or plain polling.

    Owns one dedicated autocommit connection (not from the pool: it idles in LISTEN for the process's life),
    opened on the first wait, never at import or construction. Used by one thread.
    """

    def __init__(self, channel: str, connect: Callable[[], Any] | None = None,
                 retry_seconds: float = RETRY_SECONDS, spacing: float = COALESCE_SECONDS):
        self.channel = _checked(channel)
        self.spacing = spacing
        self._woken_at = float("-inf")
        self._connect = connect
        self._conn: Any = None
        self._retry_at = 0.0
        self._retry_seconds = retry_seconds
        self._failing = False

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, stop: threading.Event, timeout: float, fallback: float) -> bool:
        """Wait up to `timeout` s for a notification, or `fallback` s while not listening; False if none came.

        True as soon as the listener (re)connects too: whatever was committed while nobody listened is found
        only by polling, so the caller should poll now.
        """
        if self._reconnect_due() and self._listen():
            return True
        deadline = time.monotonic() + (timeout if self.listening else min(timeout, fallback))
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._conn is None:
                until_retry = remaining if self._connect is None else self._retry_at - time.monotonic()
                stop.wait(max(0.0, min(remaining, until_retry)))
                if self._reconnect_due() and self._listen():
                    return True
                continue
            try:
                ready, _, _ = select.select([self._conn.fileno()], [], [], min(remaining, SLICE_SECONDS))
                if ready and self._drain():
                    self._coalesce(stop)
                    return True
            except Exception as exc:  # noqa: BLE001 - the database went away: poll until it is back
                self._lost(exc)
                return False
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self._conn = None

    def _reconnect_due(self) -> bool:
        return self._conn is None and self._connect is not None and time.monotonic() >= self._retry_at

    def _listen(self) -> bool:
        try:
            self._conn = self._connect()
            self._conn.execute(f"LISTEN {self.channel}")
        except Exception as exc:  # noqa: BLE001 - no listener yet: poll, try again later
            self._lost(exc)  # closes a connection that was made but could not LISTEN
            return False
        if self._failing:
            logger.info("wake-up listener back", extra={"fields": {"channel": self.channel}})
        self._failing = False
        return True

    def _coalesce(self, stop: threading.Event) -> None:
        delay = coalesce_delay(time.monotonic() - self._woken_at, self.spacing)
        if delay > 0:
            stop.wait(delay)
            self._drain()  # the commits of the delay: this cycle finds them, no wake-up more for them
        self._woken_at = time.monotonic()

    def _drain(self) -> bool:
        # Every pending notification at once: a burst of commits costs one wake-up (and one poll).
        return sum(1 for _ in self._conn.notifies(timeout=0)) > 0

    def _lost(self, exc: BaseException) -> None:
        self.close()
        self._retry_at = time.monotonic() + self._retry_seconds
        if not self._failing:
            logger.warning("wake-up listener unavailable, polling", extra={"fields": {
                "channel": self.channel, "error": repr(exc)}})
        self._failing = True


def listener(engine: Engine, channel: str, enabled: bool = True) -> Wakeup:
    """A Wakeup on `channel` of the engine's database; polling only unless it is PostgreSQL through psycopg."""
    if not enabled or engine.dialect.name != "postgresql" or engine.driver != "psycopg":
        return Wakeup(channel)
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs.pop("context", None)  # SQLAlchemy's adapters; the listener reads no rows

    def connect():
        import psycopg

        # Keepalives: a listener on a silently dead TCP connection would never hear of it, nor be woken.
        return psycopg.connect(*args, **kwargs, autocommit=True, connect_timeout=5, keepalives=1,
                               keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
                               application_name=f"firebreak-listen-{channel}"[:63])

    return Wakeup(channel, connect)
