"""The sla service: response and resolution SLA timers, pause, calendars, breach detection, reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition
from libs.common.timers import Scheduler
from services.sla.adapters.metrics import watch_timers
from services.sla.adapters.orm import bus, metadata
from services.sla.adapters.scheduler import BatchScheduler
from services.sla.entrypoints.api import blueprints
from services.sla.events import CATALOG
from services.sla.service_layer.handlers import batch_timer_handlers, event_handlers, timer_handlers
from services.sla.service_layer.unit_of_work import SlaUnitOfWork


@dataclass(frozen=True)
class SlaService(ServiceDefinition):
    """The sla service; its scheduler fires claimed batches at once and reports the timers pending."""

    def scheduler(self, runtime: ServiceRuntime) -> Scheduler:
        watch_timers(runtime)
        return BatchScheduler(runtime, self.timer_handlers(), batch_timer_handlers(), lambda: self.uow_class(runtime))


SERVICE = SlaService(
    name="sla",
    title="Firebreak SLA API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
    timer_handlers=timer_handlers,
    uow_class=SlaUnitOfWork,
)


def create_app(env: Mapping[str, str] | None = None):
    """The sla service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
