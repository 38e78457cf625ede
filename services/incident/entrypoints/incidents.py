"""Routes: incidents, their workflow actions and history."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.incident.domain.workflow import ACTIONS, allowed_actions
from services.incident.entrypoints import schemas as s
from services.incident.entrypoints.common import expected_version, principal, uow
from services.incident.service_layer import handlers, queries
from services.incident.service_layer.access import load
from services.incident.service_layer.commands import DeclareIncident, PerformAction, UpdateIncident

blp = Blueprint("incidents", __name__, url_prefix="/v1/incidents", description="Incidents and their workflow.")
# Arguments take schema instances: given a class, webargs builds (and deep-copies the fields of) a new schema on
# every request. A marshmallow schema's load keeps no state, so one instance serves every thread.


def _out(incident):
    body = {**vars(incident), "allowed_actions": allowed_actions(incident.status)}
    return body, 200, {"ETag": f'"{incident.version}"'}


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(s.IncidentListArgsSchema(), location="query")
    @blp.response(200, s.IncidentPageSchema)
    def get(self, args):
        """List incidents: filters, sort, cursor pagination; private ones only for their team."""
        page = queries.list_incidents(uow(), principal(), args)
        page["items"] = [{**vars(i), "allowed_actions": allowed_actions(i.status)} for i in page["items"]]
        return page

    @blp.arguments(s.IncidentCreateSchema())
    @blp.response(201, s.IncidentSchema)
    def post(self, body):
        """Declare an incident."""
        title, severity, priority = body.pop("title"), body.pop("severity"), body.pop("priority")
        incident = handlers.declare_incident(DeclareIncident(title, severity, priority, principal(), body), uow())
        result, _, headers = _out(incident)
        return result, 201, headers


@blp.route("/<incident_id>")
class IncidentById(MethodView):
    @blp.response(200, s.IncidentSchema)
    def get(self, incident_id: str):
        """Get an incident; its ETag is its version, for If-Match on writes."""
        with uow() as u:
            incident = load(u, incident_id, principal())
        return _out(incident)

    @blp.arguments(s.IncidentPatchSchema())
    @blp.response(200, s.IncidentSchema)
    def patch(self, body, incident_id: str):
        """Change fields; If-Match guards against overwriting someone else's change."""
        cmd = UpdateIncident(incident_id, principal(), body, expected_version())
        return _out(handlers.update_incident(cmd, uow()))


@blp.route("/<incident_id>/actions/<any(" + ", ".join(ACTIONS) + "):action>")
class IncidentAction(MethodView):
    @blp.arguments(s.ActionBodySchema())
    @blp.response(200, s.IncidentSchema)
    def post(self, body, incident_id: str, action: str):
        """Run a workflow action: assign, acknowledge, start, hold, resume, stabilize, resolve, close, reopen."""
        cmd = PerformAction(incident_id, action, principal(), body, expected_version())
        return _out(handlers.perform_action(cmd, uow()))


@blp.route("/<incident_id>/history")
class IncidentHistory(MethodView):
    @blp.arguments(s.HistoryArgsSchema(), location="query")
    @blp.response(200)
    def get(self, args, incident_id: str):
        """Export the incident and its timeline as JSON, CSV or Markdown."""
        record = queries.history(uow(), incident_id, principal())
        if args["format"] == "csv":
            return Response(queries.history_csv(record), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename={incident_id}.csv"})
        if args["format"] == "markdown":
            return Response(queries.history_markdown(record), mimetype="text/markdown")
        timeline = s.TimelineEntrySchema(many=True).dump(record["timeline"])
        return {"incident": record["incident"], "timeline": timeline}
