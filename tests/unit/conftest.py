"""Unit-level fixtures: a service app on SQLite and the memory broker, driven by Flask's test client."""

from __future__ import annotations

import pytest

from firebreak.registry import definition
from firebreak.setup import migrate_database


@pytest.fixture
def client(base_env):
    """The incident service's app; its runtime is at app.extensions["test.runtime"]."""
    service = definition("incident")
    runtime = service.runtime(base_env)
    migrate_database(service, runtime.settings)
    app = service.create_app(runtime=runtime)
    app.extensions["test.runtime"] = runtime
    yield app.test_client()
    runtime.dispose()
