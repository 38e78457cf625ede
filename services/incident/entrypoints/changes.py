"""Routes: PagerDuty change events in (`/v2/change/enqueue`), and a team's recent changes out (`/v1/changes`)."""

from __future__ import annotations

import json

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from libs.common.auth import no_user_token, require_role
from libs.common.errors import ProblemError
from libs.common.instants import Instant
from services.incident.entrypoints.alerts import PAGERDUTY_ERRORS, _auth, _parse, pagerduty_error
from services.incident.entrypoints.common import uow
from services.incident.entrypoints.sources import pagerduty
from services.incident.entrypoints.sources.common import parse_time
from services.incident.service_layer.changes import create_change, list_changes

blp = Blueprint("changes", __name__, description="Change events (deploys, config changes) by team.")


class ChangeArgsSchema(Schema):
    team = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    since = Instant(load_default=None, metadata={"description": "default: the last 24 hours"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ChangeEventSchema(Schema):
    id = fields.String()
    team = fields.String(allow_none=True)
    summary = fields.String()
    source = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    received_at = fields.DateTime()
    custom_details = fields.Raw(allow_none=True)
    links = fields.List(fields.Dict())


class ChangeListSchema(Schema):
    items = fields.List(fields.Nested(ChangeEventSchema))


class ChangeAcceptedSchema(Schema):
    status = fields.String()
    message = fields.String()


@blp.route("/v2/change/enqueue")
class ChangeEnqueue(MethodView):
    @no_user_token
    @blp.response(202, ChangeAcceptedSchema)
    @PAGERDUTY_ERRORS(blp)
    def post(self):
        """PagerDuty Change Events API v2: keep the change for the routing key's integration team."""
        raw = request.get_data(cache=False)
        try:
            body = _parse(raw, pagerduty.ChangeSchema, "pagerduty")
            integration = _auth(body["routing_key"], "pagerduty", raw)
        except ProblemError as exc:
            return pagerduty_error(exc)
        payload = body["payload"]
        details = payload.get("custom_details")
        create_change(uow(), integration, payload["summary"], payload.get("source"),
                      parse_time(payload.get("timestamp")), json.loads(json.dumps(details)) if details else None,
                      pagerduty.links_of(body))
        return {"status": "success", "message": "Change event processed"}, 202


@blp.route("/v1/changes")
class Changes(MethodView):
    @require_role("viewer")
    @blp.arguments(ChangeArgsSchema, location="query")
    @blp.response(200, ChangeListSchema)
    def get(self, args):
        """Recent change events, newest first: of one team (`team`), since an instant (`since`, default 24 h)."""
        return {"items": list_changes(uow(), args["team"], args["since"], args["limit"])}
