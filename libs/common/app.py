"""Flask app factory helper: health, metrics, auth, problem+json errors, request ids, OpenAPI."""

from __future__ import annotations

import time
from collections.abc import Iterable

from flask import Blueprint, Flask, g, request
from flask_smorest import Api

from libs.common import auth, errors, log
from libs.common.health import health_blueprint
from libs.common.metrics import http_request_duration
from libs.common.runtime import ServiceRuntime


class FirebreakApi(Api):
    ERROR_SCHEMA = errors.ProblemSchema


def build_app(runtime: ServiceRuntime, blueprints: Iterable[Blueprint], title: str) -> Flask:
    """A Flask app for one service with everything every service has."""
    settings = runtime.settings
    log.configure(settings.log_level)
    app = Flask(f"firebreak.{runtime.service}")
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        },
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.extensions["firebreak"] = runtime
    app.extensions["firebreak.collectors"] = collectors = []
    app.register_blueprint(health_blueprint(runtime, collectors))
    api = FirebreakApi(app)
    app.extensions["firebreak.api"] = api
    for bp in blueprints:
        api.register_blueprint(bp)
    errors.install(app)
    _install_request_context(app, runtime.service)
    auth.install(app, settings.auth)
    return app


def _install_request_context(app: Flask, service: str) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        cid = request.headers.get("X-Request-ID") or log.new_correlation_id()
        g.correlation_token = log.correlation_id.set(cid[:64])

    @app.after_request
    def _finish(response):
        cid = log.correlation_id.get()
        if cid:
            response.headers["X-Request-ID"] = cid
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started")
        if started is not None:
            http_request_duration.labels(service, request.method, route, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            log.correlation_id.reset(token)
