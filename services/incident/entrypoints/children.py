"""Routes: tasks, customer impacts, links, comments and roles of an incident."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from services.incident.entrypoints import schemas as s
from services.incident.entrypoints.common import principal, uow
from services.incident.entrypoints.incidents import blp
from services.incident.service_layer.access import load
from services.incident.service_layer.children import change_child, impact_total

# collection -> (item schema, patch schema or None, deletable)
CHILDREN = {
    "tasks": (s.TaskSchema, s.TaskPatchSchema, True),
    "impacts": (s.ImpactSchema, s.ImpactPatchSchema, True),
    "links": (s.LinkSchema, None, True),
    "comments": (s.CommentSchema, None, False),
    "roles": (s.RoleSchema, None, True),
}


def _list(collection: str, incident_id: str) -> list[dict]:
    who = principal()
    with uow() as u:
        load(u, incident_id, who)
        rows = getattr(u, collection).list(incident_id)
    if collection == "comments" and not who.has_role("responder"):
        rows = [r for r in rows if r["visibility"] == "public"]
    return rows


def _register(collection: str, item_schema, patch_schema, deletable: bool) -> None:
    page = Schema.from_dict({"items": fields.List(fields.Nested(item_schema)),
                             **({"total_impact_seconds": fields.Float()} if collection == "impacts" else {})},
                            name=f"{collection.title()}List")

    class Collection(MethodView):  # noqa: B903 - one per collection, registered below
        @blp.response(200, page)
        def get(self, incident_id: str):
            rows = _list(collection, incident_id)
            if collection == "impacts":
                return {"items": rows, "total_impact_seconds": impact_total(rows, uow().clock.now())}
            return {"items": rows}

        @blp.arguments(item_schema)
        @blp.response(201, item_schema)
        def post(self, body, incident_id: str):
            return change_child(uow(), collection, incident_id, principal(), "added", values=body)

    Collection.get.__doc__ = f"List the incident's {collection}."
    Collection.post.__doc__ = f"Add to the incident's {collection}."
    blp.route(f"/<incident_id>/{collection}", endpoint=f"{collection}_collection")(Collection)

    item_methods = {}
    if patch_schema is not None:
        @blp.arguments(patch_schema)
        @blp.response(200, item_schema)
        def patch(self, body, incident_id: str, item_id: str):
            return change_child(uow(), collection, incident_id, principal(), "changed", item_id, body)

        patch.__doc__ = f"Change one of the incident's {collection}."
        item_methods["patch"] = patch
    if deletable:
        @blp.response(204)
        def delete(self, incident_id: str, item_id: str):
            change_child(uow(), collection, incident_id, principal(), "removed", item_id)

        delete.__doc__ = f"Remove one of the incident's {collection}."
        item_methods["delete"] = delete
    if item_methods:
        item = type(f"{collection.title()}Item", (MethodView,), item_methods)
        blp.route(f"/<incident_id>/{collection}/<item_id>", endpoint=f"{collection}_item")(item)


for _name, (_item, _patch, _deletable) in CHILDREN.items():
    _register(_name, _item, _patch, _deletable)

