"""Small helpers for integration tests: tokens, database peeks."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from libs.common.auth import mint
from libs.common.config import AuthSettings
from tests.conftest import SECRET

CONSUMERS = ("sla", "escalation", "notify", "postmortem")


def bearer(role: str = "responder", user: str = "alice", teams: list[str] | None = None) -> dict[str, str]:
    settings = AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, None)
    return {"Authorization": f"Bearer {mint(settings, user, role, teams)}"}


def query(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def known(stack, service: str, incident_id: str) -> int:
    """How many times `service` recorded the incident (0 or 1 when all is well)."""
    return query(stack.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"],
                 "SELECT count(*) FROM known_incidents WHERE incident_id = :i", i=incident_id)[0][0]


def inbox_count(stack, service: str) -> int:
    return query(stack.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"], "SELECT count(*) FROM inbox")[0][0]
