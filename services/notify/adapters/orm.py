"""The notify service's tables."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from libs.common.jobs import define_jobs_table
from libs.common.tables import BigId, define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)
jobs = define_jobs_table(metadata)

incidents = Table(
    "notify_incidents",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("title", String(300), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("team", String(100)),
    Column("incident_type", String(100)),
    Column("private", Boolean, nullable=False),
    Column("commander", String(200)),
    Column("links", JSON, nullable=False),
    Column("acknowledged", Boolean, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Team members as the escalation service announces them (team_changed), newer versions only.
teams = Table(
    "notify_teams",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("members", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Secrets notify makes itself when none is configured (the ack-link key under RS256), shared by every replica.
kept_secrets = Table(
    "notify_secrets",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("teams", JSON, nullable=False),
    Column("methods", JSON, nullable=False),
    Column("quiet_hours", JSON),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

rules = Table(
    "notification_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("severities", JSON, nullable=False),
    Column("priorities", JSON, nullable=False),
    Column("teams", JSON, nullable=False),
    Column("incident_types", JSON, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("template_id", String(36)),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

templates = Table(
    "templates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("category", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per (event, recipient, method); several rows share a job when a digest folds them.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(80), nullable=False, unique=True),
    Column("job_key", String(80), nullable=False),
    Column("group", String(80)),
    Column("incident_id", String(36), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("category", String(20), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("method_kind", String(20), nullable=False),
    Column("address", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("event_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_deliveries_incident", deliveries.c.incident_id, deliveries.c.id)
Index("ix_deliveries_job_key", deliveries.c.job_key)
Index("ix_deliveries_group", deliveries.c.group)
