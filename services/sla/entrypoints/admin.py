"""HTTP routes for SLA policies and calendars (admins write, everyone with a token reads)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import require_role
from libs.common.errors import NotFound
from libs.common.pagination import PageArgsSchema, decode_cursor, encode_cursor, page_schema
from services.sla.entrypoints.schemas import CalendarSchema, PolicySchema, calendar_view, policy_view, windows_of
from services.sla.service_layer import policies as commands

policies_blp = Blueprint("sla_policies", __name__, url_prefix="/v1/sla/policies",
                         description="Response and resolution targets per priority, by team and incident type.")
calendars_blp = Blueprint("sla_calendars", __name__, url_prefix="/v1/sla/calendars",
                          description="Working-time calendars: 24x7 or business hours with holidays.")
PolicyPageSchema = page_schema(PolicySchema, "SlaPolicyPage")
CalendarPageSchema = page_schema(CalendarSchema, "SlaCalendarPage")


def _uow():
    return current_app.extensions["firebreak.uow"]()


def _page(rows: list, limit: int, view) -> dict:
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1]["name"]])
    return {"items": [view(r) for r in rows], "next_cursor": next_cursor}


def _after(args) -> str | None:
    return str(decode_cursor(args["cursor"])[0]) if args["cursor"] else None


@policies_blp.route("")
class Policies(MethodView):
    @policies_blp.arguments(PageArgsSchema, location="query")
    @policies_blp.response(200, PolicyPageSchema)
    def get(self, args):
        """List SLA policies by name."""
        with _uow() as uow:
            rows = uow.policies.page(args["limit"] + 1, _after(args))
        return _page(rows, args["limit"], policy_view)

    @require_role("admin")
    @policies_blp.arguments(PolicySchema)
    @policies_blp.response(201, PolicySchema)
    def post(self, body):
        """Create a policy; the most specific (team+type > type > team > default) applies to an incident."""
        return policy_view(commands.create_policy(_uow(), body))


@policies_blp.route("/<policy_id>")
class PolicyById(MethodView):
    @policies_blp.response(200, PolicySchema)
    def get(self, policy_id: str):
        """Get a policy."""
        with _uow() as uow:
            row = uow.policies.get_row(policy_id)
        if row is None:
            raise NotFound(f"no SLA policy {policy_id}")
        return policy_view(row)

    @require_role("admin")
    @policies_blp.arguments(PolicySchema)
    @policies_blp.response(200, PolicySchema)
    def put(self, body, policy_id: str):
        """Replace a policy; running clocks keep the copy they started with."""
        return policy_view(commands.replace_policy(_uow(), policy_id, body))

    @require_role("admin")
    @policies_blp.response(204)
    def delete(self, policy_id: str):
        """Delete a policy (incidents then fall to the next most specific one, or the built-in defaults)."""
        commands.delete_policy(_uow(), policy_id)


@calendars_blp.route("")
class Calendars(MethodView):
    @calendars_blp.arguments(PageArgsSchema, location="query")
    @calendars_blp.response(200, CalendarPageSchema)
    def get(self, args):
        """List calendars by name."""
        with _uow() as uow:
            rows = uow.calendars.page(args["limit"] + 1, _after(args))
        return _page(rows, args["limit"], calendar_view)

    @require_role("admin")
    @calendars_blp.arguments(CalendarSchema)
    @calendars_blp.response(201, CalendarSchema)
    def post(self, body):
        """Create a calendar."""
        return calendar_view(commands.create_calendar(_uow(), {**body, "windows": windows_of(body)}))


@calendars_blp.route("/<calendar_id>")
class CalendarById(MethodView):
    @calendars_blp.response(200, CalendarSchema)
    def get(self, calendar_id: str):
        """Get a calendar."""
        with _uow() as uow:
            row = uow.calendars.get_row(calendar_id)
        if row is None:
            raise NotFound(f"no SLA calendar {calendar_id}")
        return calendar_view(row)

    @require_role("admin")
    @calendars_blp.arguments(CalendarSchema)
    @calendars_blp.response(200, CalendarSchema)
    def put(self, body, calendar_id: str):
        """Replace a calendar; incidents whose clocks already started keep the copy they took."""
        return calendar_view(commands.replace_calendar(_uow(), calendar_id, {**body, "windows": windows_of(body)}))

    @require_role("admin")
    @calendars_blp.response(204)
    def delete(self, calendar_id: str):
        """Delete a calendar no policy uses."""
        commands.delete_calendar(_uow(), calendar_id)
