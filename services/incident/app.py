"""The incident service: incidents, their workflow and timeline, alert intake."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from libs.common.errors import problem
from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition
from services.incident.adapters.orm import bus, metadata
from services.incident.domain.errors import DomainError
from services.incident.events import CATALOG
from services.incident.inbound import event_handlers
from services.incident.service_layer.metrics import OpenIncidents
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

_SLUGS = {404: "not-found", 409: "conflict", 422: "validation-failed", 400: "bad-request"}
_TITLES = {404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity", 400: "Bad Request"}


def _blueprints():
    from services.incident.entrypoints import checklists, children, timeline  # noqa: F401 - routes on blp
    from services.incident.entrypoints.alerts import blp as intake_blp
    from services.incident.entrypoints.alerts import enqueue_blp
    from services.incident.entrypoints.catalog import playbooks_blp, types_blp
    from services.incident.entrypoints.changes import blp as changes_blp
    from services.incident.entrypoints.heartbeats import blp as heartbeats_blp
    from services.incident.entrypoints.incidents import blp
    from services.incident.entrypoints.integrations import blp as integrations_blp
    from services.incident.entrypoints.integrations import suppress_blp

    return [blp, playbooks_blp, types_blp, integrations_blp, suppress_blp, intake_blp, enqueue_blp, changes_blp,
            heartbeats_blp]


def _timer_handlers():
    from services.incident.service_layer.heartbeats import MISSED, handle_missed

    return {MISSED: handle_missed}


def _configure(app: Flask, runtime: ServiceRuntime) -> None:
    app.extensions["firebreak.collectors"].append(OpenIncidents(runtime))

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        errors = [{"field": exc.field, "message": exc.message, "location": "json"}] if exc.field else None
        return problem(exc.status, _TITLES[exc.status], exc.message, _SLUGS[exc.status], errors, **exc.extensions)


SERVICE = ServiceDefinition(
    name="incident",
    title="Firebreak incident API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=_blueprints,
    event_handlers=event_handlers,
    timer_handlers=_timer_handlers,
    uow_class=IncidentUnitOfWork,
    configure=_configure,
)


def create_app(env: Mapping[str, str] | None = None):
    """The incident service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
