"""The escalation service: teams, on-call schedules, escalation policies, chains with step timers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.escalation.adapters.orm import bus, metadata
from services.escalation.entrypoints.api import blueprints
from services.escalation.events import CATALOG
from services.escalation.service_layer.handlers import event_handlers, timer_handlers
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork

SERVICE = ServiceDefinition(
    name="escalation",
    title="Firebreak escalation API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
    timer_handlers=timer_handlers,
    uow_class=EscalationUnitOfWork,
)


def create_app(env: Mapping[str, str] | None = None):
    """The escalation service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
