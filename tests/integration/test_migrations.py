"""Every service's migrations, run on PostgreSQL, build exactly the schema its SQLAlchemy tables describe."""

from __future__ import annotations

import re

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.dialects import postgresql

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.config import SERVICES, Settings
from libs.common.migrations import alembic_config

TRIGGERS = "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"


def _predicate(text: str, table: str) -> str:
    return re.sub(r"[\s()]", "", text.replace(f"{table}.", "")).lower()


def partial_index_differences(conn, metadata: MetaData) -> list[tuple[str, str | None, str | None]]:
    """Partial-index predicates that differ: compare_metadata looks at an index's columns, not its WHERE."""
    inspector = inspect(conn)
    differences = []
    for table in metadata.sorted_tables:
        reflected = {ix["name"]: ix.get("dialect_options", {}).get("postgresql_where")
                     for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            where = index.dialect_options["postgresql"]["where"]
            wanted = None if where is None else str(where.compile(dialect=postgresql.dialect(),
                                                                  compile_kwargs={"literal_binds": True}))
            found = reflected.get(index.name)
            if (wanted and _predicate(wanted, table.name)) != (found and _predicate(found, table.name)):
                differences.append((index.name, wanted, found))
    return differences


@pytest.mark.parametrize("name", SERVICES)
def test_migrated_database_matches_the_service_tables_and_downgrades_to_nothing(postgres, base_env, name):
    service = definition(name)
    url = postgres.create_database(f"drift_{name}")
    migrate_database(service, Settings.from_env(name, {**base_env, "DATABASE_URL": url}))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            assert compare_metadata(context, service.metadata) == []
            assert partial_index_differences(conn, service.metadata) == []
            # The wake-up triggers (compare_metadata does not look at triggers): the outbox's, and the jobs'.
            expected = {("outbox", "outbox_notify")} | ({("jobs", "jobs_notify")}
                                                        if "jobs" in service.metadata.tables else set())
            assert set(conn.execute(text(TRIGGERS)).all()) == expected
        command.downgrade(alembic_config(service.migrations_dir, url), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT proname FROM pg_proc WHERE proname LIKE 'firebreak%'")).all() == []
    finally:
        engine.dispose()
