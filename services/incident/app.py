"""The incident service: incidents, their workflow and timeline, alert intake."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from libs.common.service import ServiceDefinition
from services.incident.adapters.orm import bus, metadata
from services.incident.events import CATALOG
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork


def _blueprints():
    from services.incident.entrypoints.api import blp

    return [blp]


SERVICE = ServiceDefinition(
    name="incident",
    title="Firebreak incident API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=_blueprints,
    uow_class=IncidentUnitOfWork,
)


def create_app(env: Mapping[str, str] | None = None):
    """The incident service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
