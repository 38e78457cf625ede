"""Liveness, readiness (database and broker reachable) and metrics endpoints."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from libs.common.db import ping
from libs.common.metrics import ScrapeTimeGauge, render
from libs.common.runtime import ServiceRuntime


def broker_reachable(amqp_url: str, timeout: float = 2.0) -> None:
    """Raise if the broker cannot be reached within `timeout` seconds."""
    if amqp_url.startswith("memory://"):
        return
    from kombu import Connection

    with Connection(amqp_url, connect_timeout=timeout, heartbeat=0) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def readiness(runtime: ServiceRuntime) -> dict[str, str]:
    """'ok' or why not, for the database and the broker."""
    checks = {}
    for name, check in (("database", lambda: ping(runtime.engine)),
                        ("broker", lambda: broker_reachable(runtime.settings.amqp_url))):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks[name] = f"unreachable: {type(exc).__name__}"
    return checks


def health_blueprint(runtime: ServiceRuntime, collectors: list) -> Blueprint:
    """/healthz, /readyz and /metrics; `collectors` are read at scrape time (services may add theirs)."""
    bp = Blueprint("health", __name__)
    collectors.append(ScrapeTimeGauge(
        "firebreak_outbox_pending", "Events committed but not yet confirmed by the broker.",
        {"service": runtime.service}, runtime.outbox_pending))

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=runtime.service)

    @bp.get("/readyz")
    def readyz():
        checks = readiness(runtime)
        ready = all(v == "ok" for v in checks.values())
        body = jsonify(status="ready" if ready else "not ready", service=runtime.service, checks=checks)
        body.status_code = 200 if ready else 503
        return body

    @bp.get("/metrics")
    def metrics():
        output, content_type = render(collectors)
        return Response(output, content_type=content_type)

    return bp
