"""The postmortem service's tables: its copy of incidents, postmortems, action items and templates."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from libs.common.tables import define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)


def _ts(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


incident_copies = Table(
    "incident_copies",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("status", String(20)),
    Column("severity", String(20)),
    Column("team", String(100)),
    Column("private", Boolean, nullable=False),
    _ts("resolved_at"),
    Column("incident", JSON, nullable=False),
    Column("marks", JSON, nullable=False),
    Column("impacts", JSON, nullable=False),
    Column("tasks", JSON, nullable=False),
    Column("roles", JSON, nullable=False),
    Column("sla", JSON, nullable=False),
    Column("escalations", JSON, nullable=False),
    _ts("updated_at", nullable=False),
)
timeline_copies = Table(
    "timeline_copies",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("entry_id", BigInteger, primary_key=True, autoincrement=False),
    Column("sequence", Integer),
    Column("kind", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Column("actor", String(200)),
    _ts("occurred_at", nullable=False),
    _ts("original_occurred_at"),
    Column("important", Boolean, nullable=False),
    Column("internal", Boolean, nullable=False),
)
Index("ix_timeline_copies_occurred", timeline_copies.c.incident_id, timeline_copies.c.occurred_at)
postmortems = Table(
    "postmortems",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("incident_id", String(36), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("timeline", String(10), nullable=False),
    Column("template_id", String(36)),
    Column("sections", JSON, nullable=False),
    Column("edited", JSON, nullable=False),
    Column("event_sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("published_at"),
    Column("published_by", String(200)),
)
action_items = Table(
    "action_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("postmortem_id", String(36), nullable=False, index=True),
    Column("incident_id", String(36), nullable=False),
    Column("title", Text, nullable=False),
    Column("owner", String(200)),
    Column("due_date", Date),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)
Index("ix_action_items_open_due", action_items.c.status, action_items.c.due_date)
templates = Table(
    "postmortem_templates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text),
    Column("markdown", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("timeline", String(10), nullable=False),
    Column("auto_draft_severities", JSON, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)
