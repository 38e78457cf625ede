"""Every service's migrations on SQLite (the embedded store): the schema its tables describe, frozen history."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.config import SERVICES, Settings
from libs.common.migrations import alembic_config

# A revision states its tables literally: these are all it may import.
REVISION_IMPORTS = {"alembic", "sqlalchemy", "uuid", "datetime", "json", "__future__"}


def migrated(name: str, base_env) -> tuple[Settings, str]:
    settings = Settings.from_env(name, base_env)
    migrate_database(definition(name), settings)
    return settings, settings.database_url


@pytest.mark.parametrize("name", SERVICES)
def test_migrated_database_matches_the_service_tables(base_env, name):
    _, url = migrated(name, base_env)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            diff = compare_metadata(context, definition(name).metadata)
    finally:
        engine.dispose()
    assert diff == []


@pytest.mark.parametrize("name", SERVICES)
def test_downgrade_to_base_removes_every_table(base_env, name):
    _, url = migrated(name, base_env)
    command.downgrade(alembic_config(definition(name).migrations_dir, url), "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", SERVICES)
def test_revisions_import_no_live_table_code(name):
    versions = Path(definition(name).migrations_dir) / "versions"
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        outside = {m for m in modules if m.split(".")[0] not in REVISION_IMPORTS}
        assert not outside, f"{path.name} imports {sorted(outside)}: state the tables literally instead"
