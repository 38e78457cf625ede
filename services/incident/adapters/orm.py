"""The incident service's tables."""

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text

from libs.common.tables import BigId, define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)


def _ts(name: str, **kw) -> Column:
    return Column(name, DateTime(timezone=True), **kw)


incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("description", Text),
    Column("category", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("severity_rank", Integer, nullable=False),
    Column("priority_rank", Integer, nullable=False),
    Column("impact", String(20)),
    Column("detection_method", String(20)),
    Column("incident_type", String(100), index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("team", String(100), index=True),
    Column("private", Boolean, nullable=False, default=False),
    Column("commander", String(200), index=True),
    Column("assignee", String(200), index=True),
    Column("assignee_team", String(100)),
    Column("configuration_items", JSON, nullable=False),
    Column("hold_reason", Text),
    Column("resolution_code", String(30)),
    Column("resolution_summary", Text),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False, index=True),
    _ts("updated_at", nullable=False, index=True),
    _ts("acknowledged_at"),
    _ts("started_at"),
    _ts("resolved_at"),
    _ts("closed_at"),
    _ts("reopened_at"),
    Column("sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    # When the monitoring says the problem started (the alert's startsAt / timestamp / date): time to detect.
    _ts("detected_at"),
)

timeline = Table(
    "timeline_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False),
    Column("sequence", Integer),
    Column("kind", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Column("actor", String(200)),
    _ts("occurred_at", nullable=False),
    _ts("recorded_at", nullable=False),
    Column("important", Boolean, nullable=False, default=False),
    Column("changes", JSON),
    Column("detail", JSON),
)
Index("ix_timeline_incident_occurred", timeline.c.incident_id, timeline.c.occurred_at, timeline.c.id)


def _child(name: str, *columns: Column) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
        *columns,
        _ts("created_at", nullable=False),
        Column("created_by", String(200), nullable=False),
    )


tasks = _child(
    "incident_tasks",
    Column("description", Text, nullable=False),
    Column("assignee", String(200)),
    _ts("due_at"),
    Column("status", String(10), nullable=False),
    Column("phase", String(20), nullable=False),
    _ts("completed_at"),
)
impacts = _child(
    "customer_impacts",
    _ts("start_at", nullable=False),
    _ts("end_at"),
    Column("description", Text, nullable=False),
)
links = _child(
    "incident_links",
    Column("kind", String(20), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("title", String(300)),
)
comments = _child(
    "incident_comments",
    Column("body", Text, nullable=False),
    Column("visibility", String(10), nullable=False),
)
roles = _child(
    "incident_roles",
    Column("role", String(30), nullable=False),
    Column("user", String(200), nullable=False),
)
checklist_items = _child(
    "checklist_items",
    Column("playbook_id", String(36)),
    Column("playbook_name", String(200), nullable=False),
    Column("stage", String(200), nullable=False),
    # The stage's place in its playbook: stages keep the playbook's order, not the alphabet's.
    Column("stage_position", Integer, nullable=False, server_default="0"),
    Column("position", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text),
    Column("assignee_role", String(30)),
    Column("checked", Boolean, nullable=False, default=False),
    Column("checked_by", String(200)),
    _ts("checked_at"),
)

playbooks = Table(
    "playbooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    Column("incident_type", String(100), index=True),
    Column("stages", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

incident_types = Table(
    "incident_types",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("description", Text),
    Column("default_severity", String(20)),
    Column("default_priority", String(20)),
    Column("default_team", String(100)),
    _ts("created_at", nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_hint", String(8), nullable=False),
    Column("default_team", String(100)),
    Column("incident_type", String(100)),
    Column("auto_resolve", Boolean, nullable=False),
    Column("hmac_secrets", JSON, nullable=False),
    Column("routing_rules", JSON, nullable=False),
    Column("severity_map", JSON, nullable=False),
    Column("rate_limit_per_minute", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

alert_groups = Table(
    "alert_groups",
    metadata,
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True),
    Column("dedup_key", String(500), primary_key=True),
    Column("incident_id", String(36)),
    _ts("updated_at", nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False),
    Column("incident_id", String(36), index=True),
    Column("source", String(20), nullable=False),
    Column("dedup_key", String(500), nullable=False),
    Column("fingerprint", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("title", String(300), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("payload", JSON),
    Column("count", Integer, nullable=False),
    _ts("first_seen", nullable=False),
    _ts("last_seen", nullable=False, index=True),
    _ts("resolved_at"),
    _ts("last_noted_at"),
)
Index("ix_alerts_lookup", alerts.c.integration_id, alerts.c.dedup_key, alerts.c.fingerprint)

alert_rate = Table(
    "alert_rate_windows",
    metadata,
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True),
    _ts("window_start", primary_key=True),
    Column("count", Integer, nullable=False),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE")),
    Column("team", String(100)),
    _ts("starts_at", nullable=False),
    _ts("ends_at", nullable=False, index=True),
    Column("reason", Text),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False),
)

silences = Table(
    "silences",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE")),
    Column("matchers", JSON, nullable=False),
    _ts("expires_at", nullable=False, index=True),
    Column("comment", Text),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False),
)

# PagerDuty change events (deploys, config changes) kept to show next to a team's incidents.
change_events = Table(
    "change_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integration_id", String(36), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False),
    Column("team", String(100), index=True),
    Column("summary", String(1024), nullable=False),
    Column("source", String(255)),
    _ts("occurred_at", nullable=False, index=True),
    Column("custom_details", JSON),
    Column("links", JSON, nullable=False),
    _ts("received_at", nullable=False),
)

# Senders that ping every interval_seconds; a missed ping opens an incident for the team, the next resolves it.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("team", String(100)),
    Column("interval_seconds", Integer, nullable=False),
    Column("grace_seconds", Integer, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("status", String(10), nullable=False),
    _ts("last_ping_at"),
    Column("incident_id", String(36)),
    Column("created_by", String(200), nullable=False),
    _ts("created_at", nullable=False),
    Column("version", Integer, nullable=False),
)
