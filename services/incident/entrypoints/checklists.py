"""Routes: an incident's playbook checklists."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from services.incident.entrypoints import schemas as s
from services.incident.entrypoints.common import principal, uow
from services.incident.entrypoints.incidents import blp
from services.incident.service_layer.access import load
from services.incident.service_layer.playbooks import attach_playbook, change_checklist_item

ChecklistSchema = Schema.from_dict({"items": fields.List(fields.Nested(s.ChecklistItemSchema))}, name="Checklist")


@blp.route("/<incident_id>/checklists")
class Checklists(MethodView):
    @blp.response(200, ChecklistSchema)
    def get(self, incident_id: str):
        """The incident's checklist items, by playbook, stage and position."""
        with uow() as u:
            load(u, incident_id, principal())
            return {"items": u.checklist.list(incident_id)}

    @blp.arguments(s.AttachPlaybookSchema)
    @blp.response(201, ChecklistSchema)
    def post(self, body, incident_id: str):
        """Attach a playbook by hand: its checklist is copied onto the incident."""
        attach_playbook(uow(), incident_id, body["playbook_id"], principal())
        with uow() as u:
            return {"items": u.checklist.list(incident_id, playbook_id=body["playbook_id"])}


@blp.route("/<incident_id>/checklists/items")
class ChecklistItems(MethodView):
    @blp.arguments(s.ChecklistItemSchema)
    @blp.response(201, s.ChecklistItemSchema)
    def post(self, body, incident_id: str):
        """Add a checklist item to a stage."""
        return change_checklist_item(uow(), incident_id, principal(), "create", values=body)


@blp.route("/<incident_id>/checklists/items/<item_id>")
class ChecklistItem(MethodView):
    @blp.arguments(s.ChecklistItemPatchSchema)
    @blp.response(200, s.ChecklistItemSchema)
    def patch(self, body, incident_id: str, item_id: str):
        """rename, move, check or uncheck an item (`op`)."""
        op = body.pop("op")
        return change_checklist_item(uow(), incident_id, principal(), op, item_id, body)

    @blp.response(204)
    def delete(self, incident_id: str, item_id: str):
        """Remove a checklist item."""
        change_checklist_item(uow(), incident_id, principal(), "remove", item_id)
