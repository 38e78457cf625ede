"""HTTP routes for each incident's SLA and the compliance report."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import current_principal
from libs.common.errors import NotFound, ProblemError
from services.sla.entrypoints.schemas import IncidentSlaSchema, ReportArgsSchema, ReportSchema
from services.sla.service_layer.report import sla_report

blp = Blueprint("sla_incidents", __name__, url_prefix="/v1/sla",
                description="Each incident's response and resolution clocks, and the compliance report.")
REPORT_DAYS = 30


def _uow():
    return current_app.extensions["firebreak.uow"]()


@blp.route("/incidents/<incident_id>")
class IncidentSla(MethodView):
    @blp.response(200, IncidentSlaSchema)
    def get(self, incident_id: str):
        """An incident's SLA: state, due, remaining or overdue seconds per target, as of now."""
        principal = current_principal()
        with _uow() as uow:
            sla = uow.slas.get(incident_id)
            now = uow.clock.now()
        if sla is None or not principal.can_see(sla.private, sla.team):
            raise NotFound(f"the SLA service knows no incident {incident_id}")
        return sla.view(now)


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args):
        """Met, breached, compliance and times per target, for clocks started in [from, to)."""
        uow = _uow()
        end = args["end"] or uow.clock.now()
        start = args["start"] or end - timedelta(days=REPORT_DAYS)
        if start >= end:
            raise ProblemError("from must be before to",
                               errors=[{"field": "from", "location": "query", "message": "must be before to"}])
        return sla_report(uow, start, end, current_principal(), args["team"], args["priority"])
