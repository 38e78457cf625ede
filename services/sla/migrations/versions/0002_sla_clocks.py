"""SLA calendars, policies (with the default one), per-incident records and clocks.

Revision ID: 0002
Revises: 0001
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HOUR = 3600
DEFAULT_TARGETS = {
    "critical": {"response": 1 * HOUR, "resolution": 4 * HOUR},
    "high": {"response": 4 * HOUR, "resolution": 8 * HOUR},
    "medium": {"response": 8 * HOUR, "resolution": 24 * HOUR},
    "low": {"response": 24 * HOUR, "resolution": 72 * HOUR},
}


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("windows", sa.JSON, nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    policies = op.create_table(
        "sla_policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("team", sa.String(100)),
        sa.Column("incident_type", sa.String(100)),
        sa.Column("scope", sa.String(210), nullable=False, unique=True),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("warning_percent", sa.Float, nullable=False),
        sa.Column("pause_on_hold", sa.Boolean, nullable=False),
        sa.Column("calendar_id", sa.String(36), sa.ForeignKey("sla_calendars.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "sla_records",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("team", sa.String(100)),
        sa.Column("incident_type", sa.String(100)),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("sla_sequence", sa.Integer, nullable=False),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sla_records_team", "sla_records", ["team"])
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("sla_records.incident_id"), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("target_seconds", sa.Integer, nullable=False),
        sa.Column("warning_seconds", sa.Float, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spans", sa.JSON, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("elapsed_at_stop", sa.Float),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("warning_at", sa.DateTime(timezone=True)),
        sa.Column("warned_at", sa.DateTime(timezone=True)),
        sa.Column("breached_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_sla_clocks_incident_target_cycle", "sla_clocks", ["incident_id", "target", "cycle"],
                    unique=True)
    op.create_index("ix_sla_clocks_started_at", "sla_clocks", ["started_at"])
    now = datetime.now(UTC)
    op.bulk_insert(policies, [{
        "id": str(uuid.uuid4()), "name": "default", "team": None, "incident_type": None,
        "scope": "team=*;type=*", "targets": DEFAULT_TARGETS, "warning_percent": 80.0, "pause_on_hold": True,
        "calendar_id": None, "created_at": now, "updated_at": now, "version": 1,
    }])


def downgrade() -> None:
    op.drop_table("sla_clocks")
    op.drop_table("sla_records")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
