"""HTTP routes for escalations: an incident's chains, manual escalation, acknowledging a chain."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import current_principal
from libs.common.pagination import decode_cursor, encode_cursor
from services.escalation.entrypoints.schemas import (
    ChainArgsSchema,
    ChainPageSchema,
    ChainSchema,
    EscalateSchema,
    EscalationRecordSchema,
)
from services.escalation.service_layer.escalate import acknowledge_chain, escalate
from services.escalation.service_layer.queries import get_chain, incident_escalations, list_chains

blp = Blueprint("escalations", __name__, url_prefix="/v1/escalations",
                description="Escalation chains per incident, and escalating by hand.")


def _uow():
    return current_app.extensions["firebreak.uow"]()


@blp.route("")
class Escalations(MethodView):
    @blp.arguments(ChainArgsSchema, location="query")
    @blp.response(200, ChainPageSchema)
    def get(self, args):
        """With `incident_id`: its chains (each step fired, when, who was paged) and escalations; else chains."""
        principal = current_principal()
        if args["incident_id"]:
            return incident_escalations(_uow(), args["incident_id"], principal)
        after = decode_cursor(args["cursor"], datetime, str) if args["cursor"] else None
        page = list_chains(_uow(), args["status"], args["limit"], after, principal)
        return {"items": page["items"], "next_cursor": encode_cursor(page["cursor"]) if page["cursor"] else None}

    @blp.arguments(EscalateSchema)
    @blp.response(201, EscalationRecordSchema)
    def post(self, body):
        """Escalate: hierarchical to the parent team (409 at the top), functional to `to_team`."""
        return escalate(_uow(), body["incident_id"], body["kind"], body["to_team"], body["reason"],
                        current_principal())


@blp.route("/<escalation_id>")
class EscalationById(MethodView):
    @blp.response(200, ChainSchema)
    def get(self, escalation_id: str):
        """One chain."""
        return get_chain(_uow(), escalation_id, current_principal())


@blp.route("/<escalation_id>/acknowledge")
class AcknowledgeEscalation(MethodView):
    @blp.response(200, ChainSchema)
    def post(self, escalation_id: str):
        """Stop paging for this chain (acknowledged by the caller)."""
        acknowledge_chain(_uow(), escalation_id, current_principal())
        return get_chain(_uow(), escalation_id, current_principal())
