"""Fixtures every test may use: settings in a temporary data dir, tokens."""

from __future__ import annotations

import pytest

from libs.common.auth import mint
from libs.common.config import AuthSettings

SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL for the session (integration and system tests); each test makes its own databases."""
    from firebreak.devstack import LocalPostgres

    pg = LocalPostgres().start()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory):
    """One RabbitMQ for the session; tests reset its queues (tests.integration.conftest.reset_broker)."""
    from firebreak.devstack import LocalRabbitMQ

    rmq = LocalRabbitMQ(tmp_path_factory.mktemp("rabbitmq")).start()
    yield rmq
    rmq.stop()


@pytest.fixture
def base_env(tmp_path) -> dict[str, str]:
    """Environment for a service built in-process on SQLite and the memory broker."""
    return {
        "FIREBREAK_DATA_DIR": str(tmp_path / "data"),
        "FIREBREAK_JWT_SECRET": SECRET,
        "AMQP_URL": "memory://",
        "FIREBREAK_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def auth_settings(tmp_path) -> AuthSettings:
    return AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, tmp_path)


@pytest.fixture
def token(auth_settings):
    def make(role: str = "responder", user: str = "alice", teams: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(auth_settings, user, role, teams)}"}

    return make
