"""The bus and timer tables every service database holds beside its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from libs.common.wakeup import OUTBOX_CHANNEL, notify_after_insert

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    timers: Table


def define_bus_tables(metadata: MetaData) -> BusTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(200), nullable=False),
        Column("subject", String(200)),
        Column("headers", JSON, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
    )
    Index("ix_outbox_unpublished", outbox.c.id, sqlite_where=outbox.c.published_at.is_(None),
          postgresql_where=outbox.c.published_at.is_(None))
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("type", String(200), nullable=False),
        Column("subject", String(200)),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
    timers = Table(
        "timers",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("kind", String(100), nullable=False),
        Column("key", String(200), nullable=False),
        Column("due_at", DateTime(timezone=True), nullable=False, index=True),
        Column("payload", JSON, nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Index("ux_timers_kind_key", timers.c.kind, timers.c.key, unique=True)
    notify_after_insert(outbox, OUTBOX_CHANNEL)  # wakes the relay when events commit
    return BusTables(outbox=outbox, inbox=inbox, timers=timers)
