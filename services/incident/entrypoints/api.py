"""HTTP routes of the incident service."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from libs.common.auth import current_principal
from libs.common.errors import NotFound
from libs.common.pagination import PageArgsSchema, decode_cursor, encode_cursor, page_schema
from services.incident.domain.model import PRIORITIES, SEVERITIES
from services.incident.service_layer import handlers
from services.incident.service_layer.commands import DeclareIncident

blp = Blueprint("incidents", __name__, url_prefix="/v1/incidents", description="Incidents and their workflow.")


class IncidentCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    team = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    private = fields.Boolean(load_default=False)


class IncidentSchema(Schema):
    id = fields.String()
    reference = fields.String()
    title = fields.String()
    severity = fields.String()
    priority = fields.String()
    status = fields.String()
    team = fields.String(allow_none=True)
    private = fields.Boolean()
    created_by = fields.String()
    created_at = fields.DateTime()
    sequence = fields.Integer()
    version = fields.Integer()


IncidentPageSchema = page_schema(IncidentSchema, "IncidentPage")


def _uow():
    return current_app.extensions["firebreak.uow"]()


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, IncidentPageSchema)
    def get(self, args):
        """List incidents, newest first, hiding private ones of other teams."""
        principal = current_principal()
        after = None
        if args["cursor"]:
            created_at, incident_id = decode_cursor(args["cursor"])
            after = (datetime.fromisoformat(created_at), incident_id)
        teams = None if principal.has_role("admin") else principal.teams
        with _uow() as uow:
            items = uow.incidents.list(args["limit"] + 1, after, teams)
        next_cursor = None
        if len(items) > args["limit"]:
            items = items[: args["limit"]]
            last = items[-1]
            next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
        return {"items": items, "next_cursor": next_cursor}

    @blp.arguments(IncidentCreateSchema)
    @blp.response(201, IncidentSchema)
    def post(self, body):
        """Declare an incident."""
        principal = current_principal()
        cmd = DeclareIncident(declared_by=principal.user, **body)
        return handlers.declare_incident(cmd, _uow())


@blp.route("/<incident_id>")
class IncidentById(MethodView):
    @blp.response(200, IncidentSchema)
    def get(self, incident_id: str):
        """Get an incident."""
        principal = current_principal()
        with _uow() as uow:
            incident = uow.incidents.get(incident_id)
        if incident is None or not incident.visible_to(principal.teams, principal.has_role("admin")):
            raise NotFound(f"no incident {incident_id}")
        return incident
