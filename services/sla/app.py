"""The sla service: response and resolution SLA timers, pause, calendars, breach detection, reports."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.sla.adapters.orm import bus, metadata
from services.sla.entrypoints.api import blueprints
from services.sla.events import CATALOG
from services.sla.service_layer.handlers import batch_timer_handlers, event_handlers, timer_handlers
from services.sla.service_layer.unit_of_work import SlaUnitOfWork

SERVICE = ServiceDefinition(
    name="sla",
    title="Firebreak SLA API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
    timer_handlers=timer_handlers,
    batch_timer_handlers=batch_timer_handlers,
    # The SLA dashboards and README name the pending-timers gauge this way.
    pending_timers_alias="firebreak_sla_timers_pending",
    uow_class=SlaUnitOfWork,
)


def create_app(env: Mapping[str, str] | None = None):
    """The sla service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
