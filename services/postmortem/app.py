"""The postmortem service: postmortems from the incident's events, review, publishing, action items."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from libs.common.errors import problem
from libs.common.runtime import ServiceRuntime
from libs.common.service import ServiceDefinition
from services.postmortem.adapters.metrics import PostmortemGauges
from services.postmortem.adapters.orm import bus, metadata
from services.postmortem.domain.errors import Refused
from services.postmortem.entrypoints.api import blueprints
from services.postmortem.events import CATALOG
from services.postmortem.service_layer.handlers import event_handlers
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

_TITLES = {404: ("Not Found", "not-found"), 409: ("Conflict", "conflict"),
           422: ("Unprocessable Content", "validation-failed")}


def _configure(app: Flask, runtime: ServiceRuntime) -> None:
    app.extensions["firebreak.collectors"].append(PostmortemGauges(runtime))

    @app.errorhandler(Refused)
    def _refused(exc: Refused):
        title, slug = _TITLES[exc.status]
        errors = [{"field": exc.field, "message": exc.message, "location": "json"}] if exc.field else None
        return problem(exc.status, title, exc.message, slug, errors, **exc.extensions)


SERVICE = ServiceDefinition(
    name="postmortem",
    title="Firebreak postmortem API",
    metadata=metadata,
    tables=bus,
    catalog=CATALOG,
    migrations_dir=Path(__file__).parent / "migrations",
    blueprints=blueprints,
    event_handlers=event_handlers,
    uow_class=PostmortemUnitOfWork,
    configure=_configure,
)


def create_app(env: Mapping[str, str] | None = None):
    """The postmortem service's Flask app; settings come from `env` (default: the process environment)."""
    return SERVICE.create_app(env)
