"""Routes: alert intake from monitoring (integration key, optional HMAC), and alerts as recorded."""

from __future__ import annotations

import json

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields

from libs.common.auth import no_user_token
from libs.common.errors import ProblemError, Unauthorized, flatten_messages, problem
from services.incident.entrypoints.common import uow
from services.incident.entrypoints.sources import datadog, pagerduty, prometheus
from services.incident.service_layer.intake import alerts_received, ingest
from services.incident.service_layer.integrations import IntegrationAuthError, authenticate

blp = Blueprint("alerts", __name__, url_prefix="/v1/alerts",
                description="Alert intake: authenticate with the integration's key (X-Firebreak-Key or "
                            "Authorization: Bearer), and X-Firebreak-Signature (sha256=HMAC of the body) when set.")
enqueue_blp = Blueprint("enqueue", __name__, url_prefix="/v2", description="PagerDuty Events API v2.")

# kind -> (schema, parser)
SOURCES = {
    "alertmanager": (prometheus.GroupSchema, prometheus.alertmanager),
    "grafana": (prometheus.GrafanaSchema, prometheus.grafana),
    "datadog": (datadog.DatadogSchema, datadog.datadog),
    "generic": (pagerduty.GenericSchema, pagerduty.generic),
}


class IntakeResponseSchema(Schema):
    status = fields.String()
    outcomes = fields.List(fields.String())
    incidents = fields.List(fields.String())


class EnqueueResponseSchema(Schema):
    status = fields.String()
    message = fields.String()
    dedup_key = fields.String()


def _key() -> str | None:
    header = request.headers.get("X-Firebreak-Key")
    if header:
        return header.strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


_SCHEMAS: dict[type, Schema] = {}


def _schema(schema_cls) -> Schema:
    """One instance per payload schema and process: loading keeps no state on it, building one costs."""
    schema = _SCHEMAS.get(schema_cls)
    if schema is None:
        schema = _SCHEMAS[schema_cls] = schema_cls()
    return schema


def _parse(raw: bytes, schema_cls, source: str) -> dict:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        alerts_received.labels(source, "rejected").inc()
        raise ProblemError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        alerts_received.labels(source, "rejected").inc()
        raise ProblemError("the body must be a JSON object", errors=[{"field": None, "message": "not an object"}])
    try:
        return _schema(schema_cls).load(body)
    except ValidationError as exc:
        alerts_received.labels(source, "rejected").inc()
        errors = flatten_messages(exc.messages, "json")
        raise ProblemError("the alert payload is malformed: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors), errors=errors) from None


def _auth(key: str | None, kind: str, raw: bytes) -> dict:
    try:
        return authenticate(uow(), key, kind, raw, request.headers.get("X-Firebreak-Signature"))
    except IntegrationAuthError as exc:
        alerts_received.labels(kind, "rejected").inc()
        raise Unauthorized(str(exc)) from None


class PagerDutyErrorSchema(Schema):
    """PagerDuty's error body, which its client libraries read."""

    status = fields.String()
    message = fields.String()
    errors = fields.List(fields.String())


def PAGERDUTY_ERRORS(bp):  # noqa: N802 - reads as a decorator
    """Declare the errors a PagerDuty endpoint answers in PagerDuty's body (application/json), not problem+json."""
    def declare(func):
        for status in (400, 401, 413, 422):
            func = bp.alt_response(status, schema=PagerDutyErrorSchema, content_type="application/json",
                                   description="refused, in PagerDuty's error body")(func)
        return func
    return declare


def pagerduty_error(exc: ProblemError):
    """A refused PagerDuty event, answered as PagerDuty does."""
    response = jsonify(pagerduty.error_body(exc.status, exc.detail, exc.errors))
    response.status_code = exc.status
    return response


def _rate_limited(result):
    return problem(429, "Too Many Requests", "this integration is over its rate limit; the alerts were counted "
                   "on the storm incident", "too-many-requests", headers={"Retry-After": str(result.retry_after)},
                   incidents=result.incident_ids)


def _intake(kind: str):
    raw = request.get_data(cache=False)
    integration = _auth(_key(), kind, raw)
    schema_cls, parser = SOURCES[kind]
    body = _parse(raw, schema_cls, kind)
    result = ingest(uow(), integration, kind, parser(body), json.loads(raw))
    if result.rate_limited:
        return _rate_limited(result)
    return {"status": "accepted", "outcomes": result.outcomes, "incidents": result.incident_ids}, 202


def _intake_view(kind: str):
    @no_user_token
    @blp.response(202, IntakeResponseSchema)
    def post(self):
        return _intake(kind)

    post.__doc__ = f"Receive a {kind} alert post, unchanged from the sender."
    methods = {"post": post}
    if kind == "grafana":
        methods["put"] = post  # Grafana's webhook contact point may be set to PUT
    return type(f"{kind.title()}Intake", (MethodView,), methods)


for _kind in SOURCES:
    blp.route(f"/{_kind}", endpoint=f"intake_{_kind}")(_intake_view(_kind))


@enqueue_blp.route("/enqueue")
class Enqueue(MethodView):
    @no_user_token
    @enqueue_blp.response(202, EnqueueResponseSchema)
    @PAGERDUTY_ERRORS(enqueue_blp)
    def post(self):
        """PagerDuty Events API v2: trigger, acknowledge, resolve; dedup keys scoped to the routing key.

        Errors come in PagerDuty's body (`status`, `message`, `errors`), which its client libraries read.
        """
        raw = request.get_data(cache=False)
        try:
            body = _parse(raw, pagerduty.EnqueueSchema, "pagerduty")
            integration = _auth(body["routing_key"], "pagerduty", raw)
        except ProblemError as exc:
            return pagerduty_error(exc)
        if not body.get("dedup_key"):
            body["dedup_key"] = pagerduty.new_dedup_key()
        result = ingest(uow(), integration, "pagerduty", pagerduty.pagerduty(body), json.loads(raw))
        if result.rate_limited:
            return _rate_limited(result)
        return {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]}, 202
