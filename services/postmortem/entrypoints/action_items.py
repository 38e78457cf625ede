"""Routes: a postmortem's action items, and action items across postmortems (e.g. the overdue ones)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import current_principal
from libs.common.pagination import decode_cursor, encode_cursor
from libs.common.resources import expected_version
from services.postmortem.entrypoints import schemas as s
from services.postmortem.entrypoints.postmortems import blp as postmortems_blp
from services.postmortem.service_layer import action_items as commands

blp = Blueprint("action_items", __name__, url_prefix="/v1/action-items",
                description="Action items across postmortems: owner, due date, priority, status.")


def _uow():
    return current_app.extensions["firebreak.uow"]()


@postmortems_blp.route("/<postmortem_id>/action-items")
class PostmortemActionItems(MethodView):
    @postmortems_blp.response(200, s.ActionItemListSchema)
    def get(self, postmortem_id: str):
        """The postmortem's action items in the order they were added."""
        return {"items": commands.list_action_items(_uow(), postmortem_id, current_principal()), "next_cursor": None}

    @postmortems_blp.arguments(s.ActionItemSchema)
    @postmortems_blp.response(201, s.ActionItemSchema)
    def post(self, body, postmortem_id: str):
        """Add an action item (draft or in review); the incident gets a follow-up task for it."""
        return commands.create_action_item(_uow(), postmortem_id, body, current_principal())


@blp.route("")
class ActionItems(MethodView):
    @blp.arguments(s.ActionItemArgsSchema, location="query")
    @blp.response(200, s.ActionItemListSchema)
    def get(self, args):
        """Action items the caller may see; `overdue=true`: open ones whose due date has passed."""
        after = str(decode_cursor(args["cursor"], (str, int))[0]) if args["cursor"] else None
        page = commands.search_action_items(_uow(), current_principal(), args["limit"], after, args["overdue"],
                                            args["status"], args["owner"])
        cursor = page["next_cursor"]
        return {"items": page["items"], "next_cursor": encode_cursor([cursor]) if cursor else None}


@blp.route("/<item_id>")
class ActionItemById(MethodView):
    @blp.response(200, s.ActionItemSchema)
    def get(self, item_id: str):
        """One action item."""
        return commands.get_action_item(_uow(), item_id, current_principal())

    @blp.arguments(s.ActionItemPatchSchema)
    @blp.response(200, s.ActionItemSchema)
    def patch(self, body, item_id: str):
        """Change owner, due date, priority, status or title (also after publication)."""
        return commands.update_action_item(_uow(), item_id, body, current_principal(), expected_version())
