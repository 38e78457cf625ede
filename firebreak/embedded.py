"""All five services in one process: one port, SQLite files, kombu's in-memory broker, same code paths."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from flask import Flask, Response, jsonify
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.serving import make_server

from firebreak import worker
from firebreak.registry import definitions
from firebreak.setup import declare_queues, migrate_database
from libs.common import auth, errors, log
from libs.common.apidocs import docs_blueprint
from libs.common.health import readiness
from libs.common.metrics import render
from libs.common.runtime import ServiceRuntime

logger = logging.getLogger(__name__)


class Platform:
    """Builds and runs every service's app and loops inside this process."""

    def __init__(self, env: Mapping[str, str] | None = None):
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("AMQP_URL", "memory://")
        self.services = definitions()
        self.runtimes: dict[str, ServiceRuntime] = {}
        self.apps: dict[str, Flask] = {}
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def prepare(self) -> None:
        """Migrate each service's database and declare its queues; build the apps."""
        for name, service in self.services.items():
            runtime = service.runtime(self.env)
            migrate_database(service, runtime.settings)
            declare_queues(service, runtime.settings)
            self.runtimes[name] = runtime
            self.apps[name] = service.create_app(runtime=runtime)
        log.configure(next(iter(self.runtimes.values())).settings.log_level)

    def start_loops(self) -> None:
        for name, service in self.services.items():
            for kind in service.processes:
                if kind != "api":
                    self.threads.extend(worker.start(service, self.runtimes[name], kind, self.stop))

    def wsgi(self) -> PathDispatcher:
        return PathDispatcher(self._platform_app(), list(self.apps.values()))

    def shutdown(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        for runtime in self.runtimes.values():
            runtime.dispose()

    def _platform_app(self) -> Flask:
        """The routes every service has (health, metrics, OpenAPI), answered for all five at once."""
        app = Flask("firebreak.embedded")
        runtimes = self.runtimes
        apps = self.apps
        # Each service's scrape-time collectors (outbox backlog, open incidents…), all on one /metrics.
        gauges = [c for a in apps.values() for c in a.extensions["firebreak.collectors"]]
        any_runtime = next(iter(runtimes.values()))

        @app.get("/healthz", endpoint="health.healthz")
        def healthz():
            alive = all(t.is_alive() for t in self.threads)
            return jsonify(status="ok" if alive else "degraded", services=list(runtimes)), 200 if alive else 503

        @app.get("/readyz", endpoint="health.readyz")
        def readyz():
            checks = {name: readiness(runtime) for name, runtime in runtimes.items()}
            ready = all(v == "ok" for service in checks.values() for v in service.values())
            return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

        @app.get("/metrics", endpoint="health.metrics")
        def metrics():
            body, content_type = render(gauges)
            return Response(body, content_type=content_type)

        @app.get("/openapi.json", endpoint="api-docs.openapi_json")
        def openapi():
            return jsonify(merged_openapi(apps))

        app.register_blueprint(docs_blueprint())
        errors.install(app)
        auth.install(app, any_runtime.settings.auth)
        return app


def merged_openapi(apps: Mapping[str, Flask]) -> dict:
    """One OpenAPI document for the five services (their paths never collide)."""
    merged: dict = {}
    for app in apps.values():
        spec = app.extensions["firebreak.api"].spec.to_dict()
        if not merged:
            merged = {k: v for k, v in spec.items() if k not in ("paths", "components", "tags")}
            merged["info"] = {"title": "Firebreak API", "version": spec["info"]["version"]}
            merged.update(paths={}, tags=[], components={})
        merged["paths"].update(spec.get("paths", {}))
        merged["tags"].extend(spec.get("tags", []))
        for section, entries in spec.get("components", {}).items():
            merged["components"].setdefault(section, {}).update(entries)
    return merged


class PathDispatcher:
    """Sends each request to the one app whose routes match its path."""

    def __init__(self, first: Flask, apps: list[Flask]):
        self.apps = [first, *apps]

    def __call__(self, environ, start_response):
        for app in self.apps:
            try:
                app.url_map.bind_to_environ(environ).match()
            except NotFound:
                continue
            except (MethodNotAllowed, RequestRedirect):
                pass
            return app(environ, start_response)
        return self.apps[0](environ, start_response)


def serve(host: str, port: int, env: Mapping[str, str] | None = None, ready: threading.Event | None = None) -> None:
    """Run the whole platform on host:port until interrupted."""
    platform = Platform(env)
    platform.prepare()
    platform.start_loops()
    server = make_server(host, port, platform.wsgi(), threaded=True)
    if ready is not None:
        ready.set()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        platform.shutdown()
