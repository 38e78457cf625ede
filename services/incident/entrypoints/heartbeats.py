"""Routes: heartbeats (admins set them up; senders ping with the heartbeat's key or a responder's token)."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from libs.common.auth import no_user_token, require_role, verify
from libs.common.errors import Forbidden, Unauthorized
from services.incident.domain.model import PRIORITIES, SEVERITIES
from services.incident.entrypoints.common import principal, uow
from services.incident.service_layer import heartbeats as handlers

blp = Blueprint("heartbeats", __name__, url_prefix="/v1/heartbeats",
                description="Heartbeats: a cron job or pipeline pings every interval; a missed ping opens an "
                            "incident for the team, the next ping resolves it.")
DAY = 86400


class HeartbeatSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100),
                                                  validate.Regexp(r"^[A-Za-z0-9._-]+$")])
    team = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    interval_seconds = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30 * DAY),
                                      metadata={"description": "the sender pings at least this often"})
    grace_seconds = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=DAY),
                                   metadata={"description": "extra slack before a missing ping counts"})
    severity = fields.String(load_default="major", validate=validate.OneOf(SEVERITIES))
    priority = fields.String(load_default="high", validate=validate.OneOf(PRIORITIES))
    status = fields.String(dump_only=True, metadata={"enum": ["new", "up", "down"]})
    last_ping_at = fields.DateTime(dump_only=True, allow_none=True)
    incident_id = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    ping_url = fields.Method("_ping_url", dump_only=True)

    def _ping_url(self, beat) -> str:
        return f"/v1/heartbeats/{beat['name']}/ping"


class CreatedHeartbeatSchema(HeartbeatSchema):
    ping_key = fields.String(dump_only=True, metadata={"description": "shown once: X-Firebreak-Key for pings"})


class HeartbeatListSchema(Schema):
    items = fields.List(fields.Nested(HeartbeatSchema))


def _ping_actor(name: str) -> str:
    """The heartbeat's own key (X-Firebreak-Key or Bearer), or a responder's bearer token."""
    key = request.headers.get("X-Firebreak-Key", "").strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" else ""
    for candidate in (key, bearer):
        if candidate.startswith("fbh_"):
            if handlers.ping_key_matches(uow(), name, candidate):
                return f"heartbeat:{name}"
            raise Unauthorized("unknown heartbeat key")
    if bearer:
        who = verify(current_app.extensions["firebreak"].settings.auth, bearer)
        if not who.has_role("responder"):
            raise Forbidden(f"role {who.role} may not ping; responder or above is needed")
        return who.user
    raise Unauthorized("the heartbeat's key (X-Firebreak-Key) or a bearer token is required")


@blp.route("")
class Heartbeats(MethodView):
    @blp.response(200, HeartbeatListSchema)
    def get(self):
        """Every heartbeat by name, with its status (new, up, down) and last ping."""
        return {"items": handlers.list_heartbeats(uow())}

    @require_role("admin")
    @blp.arguments(HeartbeatSchema)
    @blp.response(201, CreatedHeartbeatSchema)
    def post(self, values):
        """Watch a new heartbeat; its ping key is shown once."""
        beat, key = handlers.create_heartbeat(uow(), values, principal().user)
        return {**beat, "ping_key": key}


@blp.route("/<name>")
class Heartbeat(MethodView):
    @blp.response(200, HeartbeatSchema)
    def get(self, name):
        """One heartbeat."""
        return handlers.get_heartbeat(uow(), name)

    @require_role("admin")
    @blp.response(204)
    def delete(self, name):
        """Stop watching a heartbeat."""
        handlers.delete_heartbeat(uow(), name)


@blp.route("/<name>/ping")
class Ping(MethodView):
    @no_user_token
    @blp.response(200, HeartbeatSchema)
    def post(self, name):
        """A ping: the sender is alive. Re-arms the deadline; resolves the incident a missed ping opened."""
        return handlers.ping(uow(), name, _ping_actor(name))
