"""Wake-up triggers: PostgreSQL NOTIFYs firebreak_outbox after each INSERT into the outbox.

The writers no longer send NOTIFY themselves (one statement less per transaction). PostgreSQL delivers the
notification at commit, none on rollback, one per channel and transaction. SQLite has no NOTIFY: its loops poll.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, trigger, function, channel), stated literally: later code may rename them, this revision may not.
TRIGGERS = (
    ("outbox", "outbox_notify", "firebreak_outbox_notify", "firebreak_outbox"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger, function, channel in TRIGGERS:
        op.execute(f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {trigger} AFTER INSERT ON {table} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger, function, _ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
