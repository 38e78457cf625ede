"""The notify service: contacts, notification rules, templates and delivery."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from libs.common.clock import Clock
from libs.common.config import Settings
from libs.common.jobs import JobWorker
from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition
from services.notify.adapters import orm
from services.notify.adapters.orm import bus, metadata
from services.notify.adapters.senders import AppriseSender, HttpSender, SmtpSender
from services.notify.entrypoints.api import blueprints
from services.notify.events import CATALOG
from services.notify.service_layer.delivery import Performers, record
from services.notify.service_layer.handlers import event_handlers
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from services.notify.settings import NotifySettings


@dataclass
class NotifyRuntime(ServiceRuntime):
    """The common runtime plus the notify settings (SMTP, public URL, ack secret, delivery policy)."""

    notify: NotifySettings | None = None
    kept_ack_secret: str | None = None  # read from the database once, when no ack secret is configured


def job_worker(runtime: ServiceRuntime) -> JobWorker:
    """The worker of outbound deliveries, with real senders injected into its performers."""
    s = runtime.notify
    performers = Performers(HttpSender(s.http_timeout, s.deny_networks),
                            SmtpSender(s.smtp_url, s.smtp_from, s.http_timeout), AppriseSender(), runtime.clock)
    return JobWorker(runtime, orm.jobs, performers.mapping(), record, lease_seconds=s.lease_seconds,
                     max_attempts=s.max_attempts, base_delay=s.base_delay, max_delay=s.max_delay)


@dataclass(frozen=True)
class NotifyService(ServiceDefinition):
    """The notify service; its runtime carries the notify settings, parsed once."""

    def runtime(self, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> ServiceRuntime:
        env = os.environ if env is None else env
        settings = Settings.from_env(self.name, env)
        runtime = NotifyRuntime.build(settings, self.metadata, self.tables, self.catalog, clock)
        runtime.notify = NotifySettings.from_env(settings, env)
        return runtime


SERVICE = NotifyService(
    name="notify",
    title="Firebreak notification API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
    uow_class=NotifyUnitOfWork,
    job_worker=job_worker,
)


def create_app(env: Mapping[str, str] | None = None):
    """The notify service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
