"""Request and response bodies of the escalation API."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from libs.common.instants import Instant
from libs.common.pagination import PageArgsSchema
from services.escalation.domain.chain import STATUSES
from services.escalation.domain.policy import SLA_ACTIONS, TARGET_KINDS
from services.escalation.domain.teams import ROLES

NAME = validate.And(validate.Length(min=1, max=100), validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                                                     error="letters, digits, '.', '_' and '-'"))


def _when(**kwargs) -> Instant:
    return Instant(default_timezone=UTC, **kwargs)


class MemberSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))


class TeamSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=NAME)
    parent = fields.String(allow_none=True, load_default=None, validate=NAME)
    members = fields.List(fields.Nested(MemberSchema), load_default=list)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class LayerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    participants = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                               validate=validate.Length(min=1, max=500))
    rotation = fields.Raw(required=True, metadata={
        "description": '"daily", "weekly" or {"every_seconds": N}; handoffs keep `start`\'s local time'})
    start = fields.String(required=True, metadata={"description": "first handoff; no offset: the schedule's zone"})
    end = fields.String(allow_none=True, load_default=None)


class OverrideSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200))
    start = fields.String(required=True)
    end = fields.String(required=True)


class ScheduleSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=NAME)
    team = fields.String(allow_none=True, load_default=None)
    time_zone = fields.String(load_default="UTC", validate=validate.Length(min=1, max=100))
    layers = fields.List(fields.Nested(LayerSchema), required=True, validate=validate.Length(max=20))
    overrides = fields.List(fields.Nested(OverrideSchema), load_default=list, validate=validate.Length(max=500))
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TargetSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(TARGET_KINDS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StepSchema(Schema):
    targets = fields.List(fields.Nested(TargetSchema), required=True, validate=validate.Length(min=1, max=20))
    timeout_seconds = fields.Integer(required=True, validate=validate.Range(min=1, max=7 * 86400))


class PolicySchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=NAME)
    team = fields.String(required=True)
    severities = fields.List(fields.String(), load_default=list)
    incident_types = fields.List(fields.String(), load_default=list)
    steps = fields.List(fields.Nested(StepSchema), required=True, validate=validate.Length(min=1, max=20))
    repeat = fields.Integer(load_default=0, validate=validate.Range(min=0, max=20))
    on_sla_warning = fields.String(load_default="none", validate=validate.OneOf(SLA_ACTIONS))
    on_sla_breach = fields.String(load_default="none", validate=validate.OneOf(SLA_ACTIONS))
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class OnCallArgsSchema(Schema):
    team = fields.String(load_default=None)
    at = _when(load_default=None)


class OnCallSchema(Schema):
    user = fields.String()
    schedule = fields.String()
    schedule_name = fields.String()
    team = fields.String(allow_none=True)
    until = fields.DateTime(allow_none=True)


class OnCallListSchema(Schema):
    at = fields.DateTime()
    items = fields.List(fields.Nested(OnCallSchema))


class RangeArgsSchema(Schema):
    start = _when(data_key="from", load_default=None)
    end = _when(data_key="to", load_default=None)


class ShiftSchema(Schema):
    user = fields.String()
    start = fields.DateTime()
    end = fields.DateTime()


class ShiftListSchema(Schema):
    schedule = fields.String()
    time_zone = fields.String()
    items = fields.List(fields.Nested(ShiftSchema))


class EscalateSchema(Schema):
    incident_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("hierarchical", "functional")))
    to_team = fields.String(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class EscalationRecordSchema(Schema):
    id = fields.String()
    incident_id = fields.String()
    kind = fields.String()
    from_team = fields.String(allow_none=True)
    to_team = fields.String()
    level = fields.Integer()
    reason = fields.String(allow_none=True)
    actor = fields.String()
    at = fields.String()


class ChainSchema(Schema):
    id = fields.String()
    incident_id = fields.String()
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    team = fields.String()
    level = fields.Integer()
    policy = fields.Dict()
    step = fields.Integer()
    round = fields.Integer()
    started_at = fields.DateTime()
    next_step_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    cause = fields.Dict(allow_none=True)
    steps = fields.List(fields.Dict())


class ChainArgsSchema(PageArgsSchema):
    incident_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class ChainPageSchema(Schema):
    incident_id = fields.String()
    team = fields.String(allow_none=True)
    level = fields.Integer()
    status = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ChainSchema))
    escalations = fields.List(fields.Nested(EscalationRecordSchema))
    next_cursor = fields.String(allow_none=True)
