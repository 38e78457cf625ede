"""The postmortem service: postmortems from the incident timeline, action items."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.postmortem.adapters.orm import bus, metadata
from services.postmortem.entrypoints.api import blueprints
from services.postmortem.events import CATALOG
from services.postmortem.service_layer.handlers import event_handlers

SERVICE = ServiceDefinition(
    name="postmortem",
    title="Firebreak postmortem API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
)


def create_app(env: Mapping[str, str] | None = None):
    """The postmortem service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
