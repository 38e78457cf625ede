"""SQLAlchemy engine and session set-up, per service database."""

from __future__ import annotations

import select
import time

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

# SQLSTATE classes that say "the database, not this statement": connection failures (08), serialization
# failures and deadlocks (40), shutdown or too many connections (57P, 53300), lock timeouts (55P03).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "57P", "53300", "55P03")
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error", "unable to open database")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a ping of doubtful connections on servers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers run beside the single writer; IMMEDIATE makes every
            # transaction take the write lock up front, so two writers queue instead of deadlocking.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine.pool, "checkout", _check_on_checkout)
    event.listen(engine.pool, "checkin", _stamp_checkin)
    return engine


# pool_pre_ping cost a round trip per checkout (one of the nine of an incident POST). Instead a connection is
# pinged only when it may be stale: idle for a while, or its socket readable while idle (a server that restarted
# or dropped us has sent its goodbye or EOF). A failing ping raises InvalidatePoolError, so the pool drops its
# older connections and retries with a fresh one. A connection that dies unnoticed fails its statement, which
# invalidates the pool, and the API answers 503 with Retry-After (errors.py).
PING_AFTER_IDLE_SECONDS = 10.0


def _stamp_checkin(_dbapi_conn, record) -> None:
    record.info["checked_in"] = time.monotonic()


def _check_on_checkout(dbapi_conn, record, _proxy) -> None:
    checked_in = record.info.get("checked_in")
    if checked_in is None:
        return  # just connected
    try:
        poller = select.poll()  # not select.select: it refuses descriptors above 1023
        poller.register(dbapi_conn.fileno(), select.POLLIN)
        readable = bool(poller.poll(0))
    except Exception as exc:  # noqa: BLE001 - a closed driver connection has no socket
        raise InvalidatePoolError(f"connection closed: {exc!r}") from exc
    if not readable and time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_conn.rollback()
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the connection is unusable
        # The whole pool: after a server restart every older connection is dead, no need to ping each.
        raise InvalidatePoolError(f"stale connection: {exc!r}") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def dialect_insert(engine: Engine):
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    if is_sqlite(engine):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is the database being unavailable or contended (worth waiting out), not a bug."""
    if isinstance(exc, DisconnectionError | PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state:
        return state.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if type(orig).__module__.startswith("sqlite3"):
        return any(text_ in str(orig).lower() for text_ in _SQLITE_TRANSIENT)
    # No SQLSTATE from a server driver: the connection failed before a statement ran.
    return isinstance(exc, OperationalError | InterfaceError)
