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


# Where each service keeps its own copy of incidents (the placeholder projection is known_incidents).
INCIDENT_COPIES = {"escalation": "esc_incidents", "notify": "notify_incidents", "postmortem": "incident_copies"}


def known(stack, service: str, incident_id: str) -> int:
    """How many times `service` recorded the incident (0 or 1 when all is well)."""
    table = INCIDENT_COPIES.get(service, "known_incidents")
    return query(stack.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"],
                 f"SELECT count(*) FROM {table} WHERE incident_id = :i", i=incident_id)[0][0]


def inbox_count(stack, service: str) -> int:
    return query(stack.env[f"FIREBREAK_{service.upper()}_DATABASE_URL"], "SELECT count(*) FROM inbox")[0][0]
