"""Request and response bodies for integrations, silences, maintenance windows and alerts."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from libs.common.instants import Instant
from services.incident.domain.model import PRIORITIES, SEVERITIES
from services.incident.domain.routing import OPERATORS
from services.incident.service_layer.integrations import KINDS


class MatcherSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.String(required=True, validate=validate.Length(max=1000))


class RoutingRuleSchema(Schema):
    matchers = fields.List(fields.Nested(MatcherSchema), load_default=list)
    team = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    incident_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    severity = fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    title_template = fields.String(allow_none=True, validate=validate.Length(max=500))


class _IntegrationFields(Schema):
    default_team = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    incident_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    auto_resolve = fields.Boolean()
    hmac_secrets = fields.List(fields.String(validate=validate.Length(min=16, max=200)), validate=validate.Length(
        max=5), load_only=True)
    routing_rules = fields.List(fields.Nested(RoutingRuleSchema), validate=validate.Length(max=100))
    severity_map = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(SEVERITIES)))
    rate_limit_per_minute = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    enabled = fields.Boolean()


class IntegrationCreateSchema(_IntegrationFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    key = fields.String(validate=validate.Length(min=16, max=64), load_only=True)


class IntegrationPatchSchema(_IntegrationFields):
    name = fields.String(validate=validate.Length(min=1, max=200))
    rotate_key = fields.Boolean(load_only=True)


class IntegrationSchema(IntegrationCreateSchema):
    id = fields.String()
    key = fields.String(dump_only=True, metadata={"description": "Shown once, when created or rotated."})
    key_hint = fields.String()
    hmac_secrets_count = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SilenceSchema(Schema):
    id = fields.String(dump_only=True)
    integration_id = fields.String(allow_none=True)
    matchers = fields.List(fields.Nested(MatcherSchema), required=True, validate=validate.Length(min=1))
    expires_at = Instant(required=True)
    comment = fields.String(allow_none=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MaintenanceWindowSchema(Schema):
    id = fields.String(dump_only=True)
    integration_id = fields.String(allow_none=True)
    team = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    reason = fields.String(allow_none=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _scope_and_order(self, data, **_):
        if not data.get("integration_id") and not data.get("team"):
            raise ValidationError("give an integration_id, a team or both", "team")
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")


class AlertSchema(Schema):
    id = fields.String()
    integration_id = fields.String()
    incident_id = fields.String(allow_none=True)
    source = fields.String()
    dedup_key = fields.String()
    fingerprint = fields.String()
    status = fields.String()
    outcome = fields.String()
    title = fields.String()
    severity = fields.String()
    labels = fields.Dict()
    count = fields.Integer()
    first_seen = fields.DateTime()
    last_seen = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class AlertListArgsSchema(Schema):
    integration_id = fields.String()
    incident_id = fields.String()
    outcome = fields.String()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
