"""The notify service: contacts, notification rules, templates and delivery."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.notify.adapters.orm import bus, metadata
from services.notify.entrypoints.api import blueprints
from services.notify.events import CATALOG
from services.notify.service_layer.handlers import event_handlers

SERVICE = ServiceDefinition(
    name="notify",
    title="Firebreak notification API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
)


def create_app(env: Mapping[str, str] | None = None):
    """The notify service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
