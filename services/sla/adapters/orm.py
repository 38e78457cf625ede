"""The sla service's tables."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from libs.common.projection import define_incident_projection
from libs.common.tables import BigId, define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)
known_incidents = define_incident_projection(metadata)

calendars = Table(
    "sla_calendars",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("timezone", String(64), nullable=False),
    Column("windows", JSON, nullable=False),
    Column("holidays", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)

policies = Table(
    "sla_policies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team", String(100)),
    Column("incident_type", String(100)),
    # team and type as one non-null key, so 'any' scopes are unique too (NULLs never collide).
    Column("scope", String(210), nullable=False, unique=True),
    Column("targets", JSON, nullable=False),
    Column("warning_percent", Float, nullable=False),
    Column("pause_on_hold", Boolean, nullable=False),
    Column("calendar_id", String(36), ForeignKey("sla_calendars.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)

records = Table(
    "sla_records",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("title", String(300), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("team", String(100)),
    Column("incident_type", String(100)),
    Column("private", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("sla_sequence", Integer, nullable=False),
    Column("policy", JSON, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_sla_records_team", records.c.team)

clocks = Table(
    "sla_clocks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("sla_records.incident_id"), nullable=False),
    Column("target", String(20), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("priority", String(20), nullable=False),
    Column("target_seconds", Integer, nullable=False),
    Column("warning_seconds", Float, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("spans", JSON, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("stopped_at", DateTime(timezone=True)),
    Column("outcome", String(20)),
    Column("elapsed_at_stop", Float),
    Column("due_at", DateTime(timezone=True)),
    Column("warning_at", DateTime(timezone=True)),
    Column("warned_at", DateTime(timezone=True)),
    Column("breached_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
)
Index("ux_sla_clocks_incident_target_cycle", clocks.c.incident_id, clocks.c.target, clocks.c.cycle, unique=True)
Index("ix_sla_clocks_started_at", clocks.c.started_at)
