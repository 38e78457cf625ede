"""Unit-level fixtures: a service app on SQLite and the memory broker, driven by Flask's test client."""

from __future__ import annotations

import pytest

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.clock import SystemClock


@pytest.fixture
def clock():
    """The clock the app's runtime reads; a test module overrides it with a FakeClock to move time itself."""
    return SystemClock()


@pytest.fixture
def client(base_env, clock):
    """The incident service's app; its runtime is at app.extensions["test.runtime"]."""
    service = definition("incident")
    runtime = service.runtime(base_env, clock=clock)
    migrate_database(service, runtime.settings)
    app = service.create_app(runtime=runtime)
    app.extensions["test.runtime"] = runtime
    yield app.test_client()
    runtime.dispose()
