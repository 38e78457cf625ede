"""Request and response bodies of the postmortem API (durations in seconds, instants ISO-8601 UTC)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.postmortem.domain.action_items import PRIORITIES
from services.postmortem.domain.action_items import STATUSES as ITEM_STATUSES
from services.postmortem.domain.document import STATUSES, TIMELINE_MODES
from services.postmortem.service_layer.templates import SEVERITIES

FORMATS = ("json", "markdown", "html", "pdf")
TEXT = fields.String(validate=validate.Length(max=50_000))


class GenerateSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    timeline = fields.String(load_default="important", validate=validate.OneOf(TIMELINE_MODES),
                             metadata={"description": "important entries only, or all of them"})
    template_id = fields.String(load_default=None, allow_none=True)


class RegenerateSchema(Schema):
    timeline = fields.String(load_default=None, validate=validate.OneOf(TIMELINE_MODES))


class EditSchema(Schema):
    summary = TEXT
    root_cause = TEXT
    detection_method = TEXT
    went_well = TEXT
    went_wrong = TEXT
    template_id = fields.String(allow_none=True)


class FormatArgsSchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ListArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    incident_id = fields.String(load_default=None, validate=validate.Length(max=36))


class ActionItemSchema(Schema):
    id = fields.String(dump_only=True)
    postmortem_id = fields.String(dump_only=True)
    incident_id = fields.String(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    owner = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    due_date = fields.Date(allow_none=True, load_default=None)
    priority = fields.String(load_default="medium", validate=validate.OneOf(PRIORITIES))
    status = fields.String(load_default="open", validate=validate.OneOf(ITEM_STATUSES))
    version = fields.Integer(dump_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)


class ActionItemPatchSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=500))
    owner = fields.String(allow_none=True, validate=validate.Length(max=200))
    due_date = fields.Date(allow_none=True)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))


class ActionItemArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)
    overdue = fields.Boolean(load_default=False)
    status = fields.String(load_default=None, validate=validate.OneOf(ITEM_STATUSES))
    owner = fields.String(load_default=None)


class ActionItemListSchema(Schema):
    items = fields.List(fields.Nested(ActionItemSchema), required=True)
    next_cursor = fields.String(allow_none=True)


class PostmortemSchema(Schema):
    """A postmortem: state, editable text and the sections generated from the incident's events."""

    id = fields.String()
    incident_id = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    timeline_mode = fields.String()
    template_id = fields.String(allow_none=True)
    version = fields.Integer()
    created_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    published_at = fields.String(allow_none=True)
    published_by = fields.String(allow_none=True)
    generated_at = fields.String()
    text = fields.Dict(keys=fields.String(), values=fields.String())
    edited_fields = fields.List(fields.String())
    incident = fields.Dict()
    customer_impact = fields.Dict(metadata={"description": "windows and total_seconds over merged windows"})
    key_times = fields.Dict(metadata={"description": "detected, acknowledged, stable, resolved"})
    durations = fields.Dict(metadata={"description": "time_to_acknowledge, time_to_mitigate, time_to_resolve"})
    sla = fields.List(fields.Dict())
    escalation_path = fields.List(fields.Dict())
    timeline = fields.List(fields.Dict())
    tasks = fields.List(fields.Dict())
    roles = fields.List(fields.Dict())
    action_items = fields.List(fields.Nested(ActionItemSchema))


class PostmortemSummarySchema(Schema):
    id = fields.String()
    incident_id = fields.String()
    status = fields.String()
    title = fields.String()
    reference = fields.String()
    version = fields.Integer()
    created_at = fields.String()
    published_at = fields.String(allow_none=True)


class PostmortemPageSchema(Schema):
    items = fields.List(fields.Nested(PostmortemSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True)


class PostmortemTemplateSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, load_default=None)
    markdown = fields.String(required=True, validate=validate.Length(min=1, max=100_000),
                             metadata={"description": "Jinja2 (sandboxed); the document is `pm`"})
    html = fields.String(required=True, validate=validate.Length(min=1, max=100_000),
                         metadata={"description": "Jinja2 (sandboxed, autoescaped)"})
    timeline = fields.String(load_default="important", validate=validate.OneOf(TIMELINE_MODES))
    auto_draft_severities = fields.List(fields.String(validate=validate.OneOf(SEVERITIES)), load_default=list,
                                        metadata={"description": "draft a postmortem on resolve at these"})
    is_default = fields.Boolean(load_default=False)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
