"""HTTP routes for who is on call: now or at an instant, the shifts of a schedule, its iCalendar feed."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.errors import ProblemError
from services.escalation.entrypoints.schemas import (
    OnCallArgsSchema,
    OnCallListSchema,
    RangeArgsSchema,
    ShiftListSchema,
)
from services.escalation.service_layer.oncall import list_shifts, shifts_ics, who_is_on_call

oncall_blp = Blueprint("oncall", __name__, url_prefix="/v1/oncall", description="Who is on call.")
shifts_blp = Blueprint("schedule_shifts", __name__, url_prefix="/v1/schedules",
                       description="A schedule's shifts, as JSON or iCalendar.")
DEFAULT_DAYS = 14
MAX_DAYS = 366


def _uow():
    return current_app.extensions["firebreak.uow"]()


def _range(args) -> tuple:
    start = args["start"] or _uow().clock.now()
    end = args["end"] or start + timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ProblemError("`to` must be after `from`",
                           errors=[{"field": "to", "location": "query", "message": "must be after from"}])
    if end - start > timedelta(days=MAX_DAYS):
        raise ProblemError(f"at most {MAX_DAYS} days at a time",
                           errors=[{"field": "to", "location": "query", "message": f"at most {MAX_DAYS} days"}])
    return start, end


@oncall_blp.route("")
class OnCall(MethodView):
    @oncall_blp.arguments(OnCallArgsSchema, location="query")
    @oncall_blp.response(200, OnCallListSchema)
    def get(self, args):
        """Who is on call at `at` (default now), per schedule of `team` (default all), and until when."""
        at = args["at"] or _uow().clock.now()
        return {"at": at, "items": who_is_on_call(_uow(), args["team"], at)}


@shifts_blp.route("/<schedule_id>/shifts")
class Shifts(MethodView):
    @shifts_blp.arguments(RangeArgsSchema, location="query")
    @shifts_blp.response(200, ShiftListSchema)
    def get(self, args, schedule_id: str):
        """The shifts in [from, to) (default: the next 14 days), clipped to the range."""
        row, shifts = list_shifts(_uow(), schedule_id, *_range(args))
        return {"schedule": row["id"], "time_zone": row["time_zone"],
                "items": [{"user": s.user, "start": s.start, "end": s.end} for s in shifts]}


@shifts_blp.route("/<schedule_id>.ics")
class ShiftsCalendar(MethodView):
    @shifts_blp.arguments(RangeArgsSchema, location="query")
    @shifts_blp.response(200, content_type="text/calendar")
    def get(self, args, schedule_id: str):
        """The shifts in [from, to) as iCalendar (RFC 5545)."""
        row, shifts = list_shifts(_uow(), schedule_id, *_range(args))
        return Response(shifts_ics(row, shifts), mimetype="text/calendar")
