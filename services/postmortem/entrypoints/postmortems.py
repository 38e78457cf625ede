"""Routes: generate, read (JSON, Markdown, HTML, PDF), edit, regenerate, review and publish postmortems."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import current_principal, visible_teams
from libs.common.pagination import decode_cursor, encode_cursor
from libs.common.resources import expected_version
from services.postmortem.entrypoints import schemas as s
from services.postmortem.service_layer import postmortems as commands
from services.postmortem.service_layer.rendering import render_document

blp = Blueprint("postmortems", __name__, url_prefix="/v1/postmortems",
                description="Postmortems generated from an incident's events, reviewed and published.")
MEDIA = {"markdown": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def _uow():
    return current_app.extensions["firebreak.uow"]()


def _out(document: dict, status: int = 200):
    return document, status, {"ETag": f'"{document["version"]}"'}


@blp.route("")
class Postmortems(MethodView):
    @blp.arguments(s.ListArgsSchema, location="query")
    @blp.response(200, s.PostmortemPageSchema)
    def get(self, args):
        """List postmortems the caller may see (a private incident's only for its team and admins); filter by
        status or incident."""
        after = str(decode_cursor(args["cursor"], (str, int))[0]) if args["cursor"] else None
        with _uow() as uow:
            rows = uow.postmortems.page(visible_teams(current_principal()), args["limit"] + 1, after, args["status"],
                                        args["incident_id"])
        more = len(rows) > args["limit"]
        rows = rows[:args["limit"]]
        items = [{"id": r["id"], "incident_id": r["incident_id"], "status": r["status"], "version": r["version"],
                  "title": r["sections"]["incident"].get("title"), "reference": r["sections"]["incident"].get(
                      "reference"), "created_at": r["created_at"].isoformat(),
                  "published_at": r["published_at"].isoformat() if r["published_at"] else None} for r in rows]
        return {"items": items, "next_cursor": encode_cursor([rows[-1]["id"]]) if more else None}

    @blp.arguments(s.GenerateSchema)
    @blp.response(201, s.PostmortemSchema)
    def post(self, body):
        """Generate the postmortem of a resolved incident (409 before it is resolved, or if it already has one)."""
        document = commands.generate_postmortem(_uow(), body["incident_id"], body["timeline"], current_principal(),
                                                body["template_id"])
        return _out(document, 201)


@blp.route("/<postmortem_id>")
class PostmortemById(MethodView):
    @blp.arguments(s.FormatArgsSchema, location="query")
    @blp.response(200, s.PostmortemSchema)
    @blp.alt_response(200, description="text/markdown, text/html or application/pdf by `format`",
                      content_type="text/markdown")
    def get(self, args, postmortem_id: str):
        """The postmortem as JSON, or rendered from its template as Markdown, HTML or PDF."""
        uow = _uow()
        document = commands.get_document(uow, postmortem_id, current_principal())
        if args["format"] == "json":
            return _out(document)
        body = render_document(uow, document, args["format"])
        return Response(body, status=200, content_type=MEDIA[args["format"]],
                        headers={"ETag": f'"{document["version"]}"'})

    @blp.arguments(s.EditSchema)
    @blp.response(200, s.PostmortemSchema)
    def patch(self, body, postmortem_id: str):
        """Edit the text (draft and in review only); the edits survive regeneration."""
        return _out(commands.edit_postmortem(_uow(), postmortem_id, body, current_principal(), expected_version()))


@blp.route("/<postmortem_id>/regenerate")
class Regenerate(MethodView):
    @blp.arguments(s.RegenerateSchema)
    @blp.response(200, s.PostmortemSchema)
    def post(self, body, postmortem_id: str):
        """Rebuild the generated sections from the incident's events as known now; edited text stays."""
        return _out(commands.regenerate_postmortem(_uow(), postmortem_id, body["timeline"], current_principal()))


def _move(action: str, doc: str):
    def post(self, postmortem_id: str):
        return _out(commands.move_postmortem(_uow(), postmortem_id, action, current_principal()))

    post.__doc__ = doc
    return type(f"{action.capitalize()}View", (MethodView,), {"post": blp.response(200, s.PostmortemSchema)(post)})


blp.route("/<postmortem_id>/review")(_move("review", "Send a draft for review."))
blp.route("/<postmortem_id>/rework")(_move("rework", "Send a postmortem in review back to draft."))
blp.route("/<postmortem_id>/publish")(
    _move("publish", "Publish a draft or reviewed postmortem; announces firebreak.postmortem.published.v1."))
