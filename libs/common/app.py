"""Flask app factory helper: health, metrics, auth, problem+json errors, request ids, OpenAPI."""

from __future__ import annotations

import http
import logging
import time
from collections.abc import Iterable
from types import FunctionType

from flask import Blueprint, Flask, g, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from libs.common import auth, errors, input_limits, log
from libs.common.apidocs import docs_blueprint
from libs.common.health import health_blueprint
from libs.common.metrics import http_request_duration
from libs.common.runtime import ServiceRuntime

access_logger = logging.getLogger("firebreak.access")


class FirebreakFlask(Flask):
    """Flask, remembering which view and hook functions are coroutines: it asks `inspect` for each, on every request."""

    _SYNC_LIMIT = 4096  # functions are few and made at start-up; a bound keeps any made per call from piling up

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        found = self._sync.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._sync) < self._SYNC_LIMIT:
                self._sync[func] = found
        return found


class FirebreakApi(Api):
    ERROR_SCHEMA = errors.ProblemSchema

    def _register_responses(self):
        """flask-smorest's shared error responses, declared as application/problem+json (what errors.py sends),
        so the documents say so and Schemathesis checks error bodies and their content type against them."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response (RFC 9457 problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def build_app(runtime: ServiceRuntime, blueprints: Iterable[Blueprint], title: str) -> Flask:
    """A Flask app for one service with everything every service has."""
    settings = runtime.settings
    log.configure(settings.log_level)
    app = FirebreakFlask(f"firebreak.{runtime.service}")
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
    app.register_blueprint(docs_blueprint())
    api = FirebreakApi(app)
    app.extensions["firebreak.api"] = api
    for bp in blueprints:
        api.register_blueprint(bp)
    errors.install(app)
    _install_request_context(app, runtime.service)
    input_limits.install(app)
    auth.install(app, settings.auth)
    return app


def _install_request_context(app: Flask, service: str) -> None:
    # The histogram's child per label set, kept: .labels() takes a lock and checks the labels on every call.
    durations: dict[tuple[str, str, str], object] = {}

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
            elapsed = time.perf_counter() - started
            key = (request.method, route, f"{response.status_code // 100}xx")
            child = durations.get(key)
            if child is None:
                child = durations[key] = http_request_duration.labels(service, *key)
            child.observe(elapsed)
            # One line per request; probes and scrapes only at debug level, or they would drown the rest.
            level = logging.DEBUG if request.endpoint in auth.PUBLIC_ENDPOINTS else logging.INFO
            if access_logger.isEnabledFor(level):  # no formatting for a line nobody sees (FIREBREAK_LOG_LEVEL=WARNING)
                log.log(access_logger, level, f"{request.method} {request.path} {response.status_code} "
                        f"{elapsed * 1000:.0f} ms", method=request.method, path=request.path,
                        status=response.status_code, duration_ms=round(elapsed * 1000, 1), service=service)
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            log.correlation_id.reset(token)
