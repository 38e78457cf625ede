"""SQLAlchemy engine and session set-up, per service database."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

# SQLSTATE classes that say "the database, not this statement": connection failures (08), serialization
# failures and deadlocks (40), shutdown or too many connections (57P, 53300), lock timeouts (55P03).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "57P", "53300", "55P03")
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error", "unable to open database")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, pre-ping on servers."""
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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


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
