"""Outbox, inbox, timers and the incident projection.

Revision ID: 0001
Revises:
"""
from alembic import op

from libs.common.migrations import create_tables, drop_tables
from libs.common.projection import define_incident_projection
from libs.common.tables import define_bus_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
TABLES = (define_bus_tables, define_incident_projection)


def upgrade() -> None:
    create_tables(op.get_bind(), *TABLES)


def downgrade() -> None:
    drop_tables(op.get_bind(), *TABLES)
