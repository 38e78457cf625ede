"""The sla service: response and resolution SLA timers, pause, calendars, breach detection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.sla.adapters.orm import bus, metadata
from services.sla.entrypoints.api import blueprints
from services.sla.events import CATALOG
from services.sla.service_layer.handlers import event_handlers

SERVICE = ServiceDefinition(
    name="sla",
    title="Firebreak SLA API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
)


def create_app(env: Mapping[str, str] | None = None):
    """The sla service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
