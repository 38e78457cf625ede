"""HTTP routes for manual notifications, the delivery log, and the acknowledge page behind each ack_url."""

from __future__ import annotations

from html import escape

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import current_principal, no_user_token
from libs.common.errors import Forbidden
from libs.common.pagination import decode_cursor, encode_cursor, page_schema
from services.notify.domain.signing import BadToken
from services.notify.entrypoints.schemas import (
    AckResultSchema,
    DeliveryArgsSchema,
    DeliverySchema,
    ManualResultSchema,
    ManualSchema,
)
from services.notify.service_layer import commands

blp = Blueprint("notify_notifications", __name__, url_prefix="/v1/notifications",
                description="Send an update now; the delivery log; the acknowledge page behind each ack_url.")
DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")


def _uow():
    return current_app.extensions["firebreak.uow"]()


@blp.route("")
class Notifications(MethodView):
    @blp.arguments(DeliveryArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args):
        """The delivery log: recipient, method, event type, status, attempts, last error, sent time."""
        after = decode_cursor(args["cursor"], int)[0] if args["cursor"] else None
        rows = commands.deliveries(_uow(), args["incident_id"], args["limit"] + 1, after, current_principal())
        more = len(rows) > args["limit"]
        rows = rows[:args["limit"]]
        return {"items": rows, "next_cursor": encode_cursor([rows[-1]["id"]]) if more else None}

    @blp.arguments(ManualSchema)
    @blp.response(202, ManualResultSchema)
    def post(self, body):
        """Send an update about an incident to chosen recipients now."""
        return commands.notify_now(_uow(), body, current_principal())


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
</head><body style="font-family:sans-serif;max-width:36em;margin:3em auto"><h1>{title}</h1><p>{text}</p>{form}
</body></html>"""
FORM = '<form method="post"><button type="submit" style="font-size:1.2em">Acknowledge as {user}</button></form>'


def _page(title: str, text: str, form: str = "", status: int = 200) -> Response:
    response = Response(PAGE.format(title=escape(title), text=text, form=form), status=status,
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    return response


def _refused(exc: BadToken) -> Forbidden:
    return Forbidden(f"this acknowledge link is not valid: {exc}")


def _label(copy, incident_id: str) -> str:
    return escape(f"{copy.reference} {copy.title}" if copy else incident_id)


@blp.route("/ack/<token>")
class Acknowledge(MethodView):
    @no_user_token
    @blp.doc(security=[])
    @blp.response(200, AckResultSchema, content_type="text/html")
    def get(self, token: str):
        """The acknowledge page (public: the link's signature is the credential); it changes nothing."""
        try:
            claims, copy = commands.read_link(_uow(), token)
        except BadToken as exc:
            raise _refused(exc) from None
        if copy is not None and copy.settled:
            return _page("Already acknowledged", f"{_label(copy, claims.incident_id)} needs no acknowledgement.")
        return _page("Acknowledge incident", f"{_label(copy, claims.incident_id)}",
                     FORM.format(user=escape(claims.user)))

    @no_user_token
    @blp.doc(security=[])
    @blp.response(200, AckResultSchema)
    def post(self, token: str):
        """Acknowledge the incident as the link's user (public: the link's signature is the credential)."""
        try:
            claims, copy, asked = commands.acknowledge_by_link(_uow(), token)
        except BadToken as exc:
            raise _refused(exc) from None
        detail = "acknowledged" if asked else "already acknowledged"
        if request.accept_mimetypes.best == "application/json":
            return {"incident_id": claims.incident_id, "user": claims.user, "acknowledged": asked, "detail": detail}
        return _page(detail.capitalize(), f"{_label(copy, claims.incident_id)}: {detail} as "
                                          f"{escape(claims.user)}.")
