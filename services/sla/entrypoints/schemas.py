"""Request and response bodies of the sla API (durations in seconds)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from libs.common.envelope import as_utc
from libs.common.instants import Instant
from services.sla.domain.calendar import DAY_SECONDS, WEEKDAYS, format_clock_time, parse_clock_time
from services.sla.domain.clock import STATES
from services.sla.domain.policy import PRIORITIES, TARGETS

TEN_YEARS = 10 * 366 * DAY_SECONDS
KINDS = ("24x7", "business")


# -- calendars ---------------------------------------------------------------------------------
class HoursSchema(Schema):
    days = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), required=True,
                       validate=validate.Length(min=1, max=7),
                       metadata={"example": ["mon", "tue", "wed", "thu", "fri"]})
    start = fields.String(required=True, metadata={"description": "HH:MM local time", "example": "09:00"})
    end = fields.String(required=True, metadata={"description": "HH:MM local time, up to 24:00", "example": "17:00"})

    @validates_schema
    def _times(self, data, **_):
        errors = {}
        parsed = {}
        for name in ("start", "end"):
            try:
                parsed[name] = parse_clock_time(data[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
        if not errors and parsed["start"] >= parsed["end"]:
            errors["end"] = ["must be after start (split a window that crosses midnight in two)"]
        if errors:
            raise ValidationError(errors)


class CalendarSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "24x7 counts every second (but holidays); business only `hours`"})
    timezone = fields.String(load_default="UTC", metadata={"example": "Europe/Berlin"})
    hours = fields.List(fields.Nested(HoursSchema), load_default=list,
                        metadata={"description": "working windows of a business calendar"})
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=1000),
                           metadata={"description": "local dates that are not worked at all"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)

    @validates("timezone")
    def _zone(self, value, **_):
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            raise ValidationError(f"unknown IANA time zone {value!r}") from None

    @validates_schema
    def _kind(self, data, **_):
        if data.get("kind") == "business" and not data.get("hours"):
            raise ValidationError({"hours": ["a business calendar needs at least one window of working hours"]})
        if data.get("kind") == "24x7" and data.get("hours"):
            raise ValidationError({"hours": ["a 24x7 calendar has no hours; use kind business"]})


def windows_of(data: dict) -> list[dict]:
    """API hours as stored windows (weekday numbers, seconds after midnight)."""
    if data["kind"] == "24x7":
        return [{"days": list(range(7)), "start": 0, "end": DAY_SECONDS}] if data["holidays"] else []
    return [{"days": sorted({WEEKDAYS.index(d) for d in h["days"]}), "start": parse_clock_time(h["start"]),
             "end": parse_clock_time(h["end"])} for h in data["hours"]]


def _stamped(row) -> dict:
    return {**row, "created_at": as_utc(row["created_at"]), "updated_at": as_utc(row["updated_at"])}


def policy_view(row) -> dict:
    return _stamped(row)


def calendar_view(row) -> dict:
    windows = row["windows"]
    always = not windows or windows == [{"days": list(range(7)), "start": 0, "end": DAY_SECONDS}]
    return {**_stamped(row), "kind": "24x7" if always else "business",
            "holidays": [date.fromisoformat(d) for d in row["holidays"]],
            "hours": [] if always else [{"days": [WEEKDAYS[d] for d in w["days"]],
                                         "start": format_clock_time(w["start"]),
                                         "end": format_clock_time(w["end"])} for w in windows]}


# -- policies ----------------------------------------------------------------------------------
class TargetPairSchema(Schema):
    response = fields.Integer(strict=True, validate=validate.Range(min=1, max=TEN_YEARS),
                              metadata={"description": "seconds to first response"})
    resolution = fields.Integer(strict=True, validate=validate.Range(min=1, max=TEN_YEARS),
                                metadata={"description": "seconds to resolution"})


class PolicySchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    team = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "only incidents of this team (null: any)"})
    incident_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "only incidents of this type (null: any)"})
    targets = fields.Dict(keys=fields.String(validate=validate.OneOf(PRIORITIES)),
                          values=fields.Nested(TargetPairSchema), load_default=dict,
                          metadata={"description": "per priority; missing ones take the defaults "
                                    "(critical 1h/4h, high 4h/8h, medium 8h/24h, low 24h/72h)"})
    warning_percent = fields.Float(load_default=80.0,
                                   validate=validate.Range(min=0, max=100, min_inclusive=False, max_inclusive=False),
                                   metadata={"description": "warn when this percentage of a target has elapsed"})
    pause_on_hold = fields.Boolean(load_default=True)
    calendar_id = fields.String(load_default=None, allow_none=True,
                                metadata={"description": "the working-time calendar (null: 24x7)"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)


# -- incident SLAs and the report --------------------------------------------------------------
class ClockSchema(Schema):
    target = fields.String(metadata={"enum": list(TARGETS)})
    cycle = fields.Integer(metadata={"description": "1, then +1 per reopen (resolution)"})
    priority = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    target_seconds = fields.Integer()
    warning_seconds = fields.Float()
    started_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True, metadata={"description": "null while paused"})
    warning_at = fields.DateTime(allow_none=True)
    stopped_at = fields.DateTime(allow_none=True)
    elapsed_seconds = fields.Float()
    remaining_seconds = fields.Float()
    overdue_seconds = fields.Float()
    paused = fields.Boolean()
    breached = fields.Boolean()
    warned_at = fields.DateTime(allow_none=True)
    breached_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class AppliedPolicySchema(Schema):
    policy_id = fields.String()
    name = fields.String()
    targets = fields.Dict()
    warning_percent = fields.Float()
    pause_on_hold = fields.Boolean()
    calendar_id = fields.String(allow_none=True)
    calendar_name = fields.String(allow_none=True)
    timezone = fields.String()
    always = fields.Boolean(metadata={"description": "24x7 calendar"})


class IncidentSlaSchema(Schema):
    incident_id = fields.String()
    reference = fields.String()
    title = fields.String()
    priority = fields.String()
    status = fields.String()
    team = fields.String(allow_none=True)
    incident_type = fields.String(allow_none=True)
    private = fields.Boolean()
    created_at = fields.DateTime()
    sequence = fields.Integer(metadata={"description": "the last incident event sequence applied"})
    sla_sequence = fields.Integer(metadata={"description": "the last SLA event sequence emitted"})
    policy = fields.Nested(AppliedPolicySchema, metadata={"description": "as copied when the clocks started"})
    targets = fields.Dict(keys=fields.String(), values=fields.Nested(ClockSchema))
    history = fields.List(fields.Nested(ClockSchema), metadata={"description": "earlier resolution cycles"})


class ReportArgsSchema(Schema):
    start = Instant(data_key="from", load_default=None,
                                 metadata={"description": "clocks started at or after (default: to - 30 days)"})
    end = Instant(data_key="to", load_default=None, metadata={"description": "and before (default: now)"})
    team = fields.String(load_default=None)
    priority = fields.String(load_default=None, validate=validate.OneOf(PRIORITIES))

    @validates_schema
    def _order(self, data, **_):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError({"from": ["must be before to"]})


class TimesSchema(Schema):
    count = fields.Integer()
    mean = fields.Float(allow_none=True)
    p50 = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)
    p95 = fields.Float(allow_none=True)
    p99 = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)


class TargetSummarySchema(Schema):
    total = fields.Integer()
    met = fields.Integer()
    breached = fields.Integer(metadata={"description": "met late, or breached and not (yet) met"})
    met_late = fields.Integer()
    in_progress = fields.Integer()
    cancelled = fields.Integer()
    compliance_percent = fields.Float(allow_none=True, metadata={"description": "met / (met + breached) * 100"})
    time_seconds = fields.Nested(TimesSchema)


class ReportSchema(Schema):
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    team = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    percentile_method = fields.String()
    time_basis = fields.String()
    targets = fields.Dict(keys=fields.String(), values=fields.Nested(TargetSummarySchema))
    by_priority = fields.Dict(keys=fields.String(), values=fields.Dict())
