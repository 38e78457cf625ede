"""Teams, schedules, escalation policies, the incident copy, chains, escalation records, SLA actions.

Replaces the placeholder incident projection.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _stamps() -> list[sa.Column]:
    return [_when("created_at", False), _when("updated_at", False), sa.Column("version", sa.Integer(), nullable=False)]


def upgrade() -> None:
    op.drop_table("known_incidents")
    op.create_table(
        "esc_teams",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("parent", sa.String(100), nullable=True),
        sa.Column("members", sa.JSON(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "esc_schedules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_esc_schedules_team", "esc_schedules", ["team"])
    op.create_table(
        "esc_policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("severities", sa.JSON(), nullable=False),
        sa.Column("incident_types", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("on_sla_warning", sa.String(40), nullable=False),
        sa.Column("on_sla_breach", sa.String(40), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_esc_policies_team", "esc_policies", ["team"])
    op.create_table(
        "esc_incidents",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("incident_type", sa.String(100), nullable=True),
        sa.Column("commander", sa.String(200), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _when("created_at", False),
        _when("acknowledged_at"),
        _when("started_at"),
        _when("first_paged_at"),
        sa.Column("pending_team", sa.String(100), nullable=True),
        sa.Column("pending_level", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        _when("updated_at", False),
    )
    op.create_table(
        "esc_chains",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        _when("due_at"),
        _when("started_at", False),
        _when("ended_at"),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("cause", sa.JSON(), nullable=True),
    )
    op.create_index("ux_esc_chains_incident_number", "esc_chains", ["incident_id", "number"], unique=True)
    op.create_index("ix_esc_chains_status", "esc_chains", ["status"])
    op.create_table(
        "esc_escalations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("from_team", sa.String(100), nullable=True),
        sa.Column("to_team", sa.String(100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        _when("at", False),
    )
    op.create_index("ix_esc_escalations_incident", "esc_escalations", ["incident_id", "at"])
    op.create_table(
        "esc_sla_actions",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        _when("at", False),
    )


def downgrade() -> None:
    for name in ("esc_sla_actions", "esc_escalations", "esc_chains", "esc_incidents", "esc_policies",
                 "esc_schedules", "esc_teams"):
        op.drop_table(name)
    op.create_table(
        "known_incidents",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("private", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
