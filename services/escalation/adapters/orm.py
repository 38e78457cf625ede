"""The escalation service's tables."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from libs.common.tables import define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)


def _stamps() -> list[Column]:
    return [Column("created_at", DateTime(timezone=True), nullable=False),
            Column("updated_at", DateTime(timezone=True), nullable=False),
            Column("version", Integer, nullable=False)]


teams = Table(
    "esc_teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("parent", String(100)),
    Column("members", JSON, nullable=False),
    *_stamps(),
)

schedules = Table(
    "esc_schedules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team", String(100)),
    Column("time_zone", String(64), nullable=False),
    Column("layers", JSON, nullable=False),
    Column("overrides", JSON, nullable=False),
    *_stamps(),
)
Index("ix_esc_schedules_team", schedules.c.team)

policies = Table(
    "esc_policies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team", String(100), nullable=False),
    Column("severities", JSON, nullable=False),
    Column("incident_types", JSON, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("repeat", Integer, nullable=False),
    Column("on_sla_warning", String(40), nullable=False),
    Column("on_sla_breach", String(40), nullable=False),
    *_stamps(),
)
Index("ix_esc_policies_team", policies.c.team)

incidents = Table(
    "esc_incidents",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("title", String(300), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("team", String(100)),
    Column("private", Boolean, nullable=False),
    Column("incident_type", String(100)),
    Column("commander", String(200)),
    Column("escalation_level", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True)),
    Column("first_paged_at", DateTime(timezone=True)),
    Column("pending_team", String(100)),
    Column("pending_level", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("event_sequence", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

chains = Table(
    "esc_chains",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("incident_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),  # 1 for the incident's first chain, 2 for the next, …
    Column("team", String(100), nullable=False),
    Column("level", Integer, nullable=False),
    Column("policy", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("step", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("token", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", Text),
    Column("fired", JSON, nullable=False),
    Column("cause", JSON),
)
Index("ux_esc_chains_incident_number", chains.c.incident_id, chains.c.number, unique=True)
Index("ix_esc_chains_status", chains.c.status)

escalations = Table(
    "esc_escalations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("incident_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("from_team", String(100)),
    Column("to_team", String(100), nullable=False),
    Column("level", Integer, nullable=False),
    Column("reason", Text),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_esc_escalations_incident", escalations.c.incident_id, escalations.c.at)

# One row per SLA warning or breach acted on: a second delivery (another event id too) finds it and stops.
sla_actions = Table(
    "esc_sla_actions",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("incident_id", String(36), nullable=False),
    Column("action", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
