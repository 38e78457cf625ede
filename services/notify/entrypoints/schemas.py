"""Request and response bodies of the notify API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notify.domain.messages import CATEGORIES, CHANNELS
from services.notify.domain.rules import RULE_EVENTS

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="a time as HH:MM")
NAME = validate.Length(min=1, max=100)
SHORT_LIST = validate.Length(max=50)


class MethodSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))
    secret = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=500),
                           metadata={"description": "webhooks: the HMAC key of Firebreak-Signature (write-only)"})
    has_secret = fields.Boolean(dump_only=True)
    delay_seconds = fields.Float(load_default=0, validate=validate.Range(min=0, max=7 * 24 * 3600),
                                 metadata={"description": "pages go out over this method this long after the step"})


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=HHMM)
    end = fields.String(required=True, validate=HHMM)
    timezone = fields.String(load_default="UTC", validate=validate.Length(min=1, max=64))


class _Stamped(Schema):
    id = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ContactSchema(_Stamped):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    teams = fields.List(fields.String(validate=NAME), load_default=list, validate=SHORT_LIST)
    methods = fields.List(fields.Nested(MethodSchema), required=True, validate=validate.Length(max=20))
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True, load_default=None,
                                metadata={"description": "non-critical messages wait until the window ends"})


class RecipientSchema(Schema):
    contact = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "a contact's user"})
    team = fields.String(validate=NAME, metadata={"description": "every contact listing this team"})
    channel = fields.String(validate=validate.OneOf(CHANNELS), metadata={"description": "a bare channel's kind"})
    address = fields.String(validate=validate.Length(min=1, max=500))
    secret = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=500))


class RuleSchema(_Stamped):
    name = fields.String(required=True, validate=NAME)
    enabled = fields.Boolean(load_default=True)
    event_types = fields.List(fields.String(validate=validate.OneOf(RULE_EVENTS)), required=True,
                              validate=validate.Length(min=1, max=len(RULE_EVENTS)))
    severities = fields.List(fields.String(validate=NAME), load_default=list, validate=SHORT_LIST)
    priorities = fields.List(fields.String(validate=NAME), load_default=list, validate=SHORT_LIST)
    teams = fields.List(fields.String(validate=NAME), load_default=list, validate=SHORT_LIST)
    incident_types = fields.List(fields.String(validate=NAME), load_default=list, validate=SHORT_LIST)
    recipients = fields.List(fields.Nested(RecipientSchema), required=True, validate=validate.Length(min=1, max=50))
    template_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))


class TemplateSchema(_Stamped):
    name = fields.String(required=True, validate=NAME)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    channel = fields.String(load_default="any", validate=validate.OneOf((*CHANNELS, "any")))
    subject = fields.String(required=True, validate=validate.Length(max=32 * 1024))
    body = fields.String(required=True, validate=validate.Length(max=32 * 1024))


class PreviewArgsSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class PreviewSchema(Schema):
    subject = fields.String()
    text = fields.String()
    channel = fields.String()
    payload = fields.Raw()


class ManualSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    recipients = fields.List(fields.Nested(RecipientSchema), required=True, validate=validate.Length(min=1, max=50))
    message = fields.String(load_default="", validate=validate.Length(max=10_000))
    template_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))


class ManualResultSchema(Schema):
    id = fields.String()
    incident_id = fields.String()
    deliveries = fields.Integer()


class DeliverySchema(Schema):
    id = fields.Integer()
    incident_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    category = fields.String()
    recipient = fields.String()
    method_kind = fields.String()
    address = fields.String()
    status = fields.String(metadata={"description": "pending, sent, failed (retrying), dead or cancelled"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DeliveryArgsSchema(Schema):
    incident_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class AckResultSchema(Schema):
    incident_id = fields.String()
    user = fields.String()
    acknowledged = fields.Boolean()
    detail = fields.String()
