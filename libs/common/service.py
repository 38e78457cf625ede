"""A service's definition: its tables, events, routes and handlers; and the processes built from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask
from sqlalchemy import MetaData

from libs.common.app import build_app
from libs.common.catalog import EventCatalog
from libs.common.config import Settings
from libs.common.consumer import EventConsumer, Handler
from libs.common.relay import Relay
from libs.common.runtime import ServiceRuntime
from libs.common.tables import BusTables
from libs.common.timers import Scheduler, TimerHandler
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
    uow_class: type[UnitOfWork] = UnitOfWork
    configure: Callable[[Flask, ServiceRuntime], None] | None = None

    @property
    def processes(self) -> tuple[str, ...]:
        kinds = ["api", "relay"]
        if self.catalog.consumes:
            kinds.append("consumer")
        if self.timer_handlers():
            kinds.append("scheduler")
        return tuple(k for k in PROCESS_KINDS if k in kinds)

    def runtime(self, env: Mapping[str, str] | None = None) -> ServiceRuntime:
        settings = Settings.from_env(self.name, env)
        return ServiceRuntime.build(settings, self.metadata, self.tables, self.catalog)

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
        return Scheduler(runtime, self.timer_handlers(), lambda: self.uow_class(runtime))
