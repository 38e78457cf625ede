"""A service's definition: its tables, events, routes and handlers; and the processes built from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask
from sqlalchemy import MetaData

from libs.common.app import build_app
from libs.common.catalog import EventCatalog
from libs.common.clock import Clock
from libs.common.config import Settings
from libs.common.consumer import EventConsumer, Handler
from libs.common.jobs import JobWorker
from libs.common.metrics import create_series
from libs.common.relay import Relay
from libs.common.runtime import ServiceRuntime
from libs.common.tables import BusTables
from libs.common.timers import BatchTimerHandler, Scheduler, TimerHandler, watch_timers
from libs.common.uow import UnitOfWork

PROCESS_KINDS = ("api", "consumer", "relay", "scheduler")


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    metadata: MetaData
    tables: BusTables
    catalog: EventCatalog
    migrations_dir: Path
    blueprints: Callable[[], list[Blueprint]]
    event_handlers: Callable[[], dict[str, Handler]] = field(default=dict)
    timer_handlers: Callable[[], dict[str, TimerHandler]] = field(default=dict)
    # Set-wise handlers for a claimed batch of one kind; a kind may have both (the single one is the fallback).
    batch_timer_handlers: Callable[[], dict[str, BatchTimerHandler]] = field(default=dict)
    # An extra name for this service's firebreak_timers_pending{kind}, kept for dashboards that use it.
    pending_timers_alias: str | None = None
    uow_class: type[UnitOfWork] = UnitOfWork
    configure: Callable[[Flask, ServiceRuntime], None] | None = None
    # Builds the worker of the service's leased jobs (outbound calls); it runs in the scheduler process.
    job_worker: Callable[[ServiceRuntime], JobWorker] | None = None

    @property
    def processes(self) -> tuple[str, ...]:
        kinds = ["api", "relay"]
        if self.catalog.consumes:
            kinds.append("consumer")
        if self.timer_handlers() or self.batch_timer_handlers():
            kinds.append("scheduler")
        if self.job_worker is not None:
            kinds.append("scheduler")
        return tuple(k for k in PROCESS_KINDS if k in kinds)

    def runtime(self, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> ServiceRuntime:
        """Settings from `env` (default: the process environment); `clock` defaults to the system clock."""
        settings = Settings.from_env(self.name, env)
        create_series(self.name, self.catalog.publishes, self.catalog.consumes)
        return ServiceRuntime.build(settings, self.metadata, self.tables, self.catalog, clock)

    def create_app(self, env: Mapping[str, str] | None = None, runtime: ServiceRuntime | None = None) -> Flask:
        runtime = runtime or self.runtime(env)
        app = build_app(runtime, self.blueprints(), self.title)
        app.extensions["firebreak.uow"] = lambda: self.uow_class(runtime)
        if self.configure is not None:
            self.configure(app, runtime)
        return app

    def consumer(self, runtime: ServiceRuntime) -> EventConsumer:
        handlers = self.event_handlers()
        missing = set(self.catalog.consumes) ^ set(handlers)
        if missing:
            raise ValueError(f"{self.name}: consumed types and handlers differ: {sorted(missing)}")
        return EventConsumer(runtime, handlers, lambda: self.uow_class(runtime))

    def relay(self, runtime: ServiceRuntime) -> Relay:
        return Relay(runtime)

    def scheduler(self, runtime: ServiceRuntime) -> Scheduler:
        watch_timers(runtime, self.pending_timers_alias)
        return Scheduler(runtime, self.timer_handlers(), lambda: self.uow_class(runtime),
                         batch_handlers=self.batch_timer_handlers())
