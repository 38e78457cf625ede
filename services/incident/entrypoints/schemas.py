"""Request and response bodies of the incident API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from libs.common.fast_schema import FastDumpSchema, FastLoadSchema
from libs.common.instants import Instant
from libs.common.pagination import PageArgsSchema, page_schema
from services.incident.domain.children import COMMENT_VISIBILITY, LINK_KINDS, ROLES, TASK_STATUSES
from services.incident.domain.model import (
    CATEGORIES,
    CI_KINDS,
    DETECTION_METHODS,
    IMPACTS,
    PRIORITIES,
    RESOLUTION_CODES,
    SEVERITIES,
    SOURCES,
)
from services.incident.domain.workflow import STATUSES


def one_of(choices, **kw):
    return fields.String(validate=validate.OneOf(choices), **kw)


class ConfigurationItemSchema(Schema):
    kind = one_of(CI_KINDS, required=True)
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    primary = fields.Boolean(load_default=False)


class _IncidentFields(FastLoadSchema):  # loaded on every incident POST and PATCH
    description = fields.String(allow_none=True, validate=validate.Length(max=20000))
    category = one_of(CATEGORIES)
    source = one_of(SOURCES)
    impact = one_of(IMPACTS, allow_none=True)
    detection_method = one_of(DETECTION_METHODS, allow_none=True)
    incident_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    team = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    private = fields.Boolean()
    configuration_items = fields.List(fields.Nested(ConfigurationItemSchema), validate=validate.Length(max=50))


class IncidentCreateSchema(_IncidentFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    severity = one_of(SEVERITIES, required=True)
    priority = one_of(PRIORITIES, required=True)
    commander = fields.String(validate=validate.Length(min=1, max=200))


class IncidentPatchSchema(_IncidentFields):
    title = fields.String(validate=validate.Length(min=1, max=300))
    severity = one_of(SEVERITIES)
    priority = one_of(PRIORITIES)


class IncidentSchema(FastDumpSchema):  # dumped on every incident response
    id = fields.String()
    reference = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    category = fields.String()
    source = fields.String()
    severity = fields.String()
    priority = fields.String()
    impact = fields.String(allow_none=True)
    detection_method = fields.String(allow_none=True)
    incident_type = fields.String(allow_none=True)
    status = fields.String()
    team = fields.String(allow_none=True)
    private = fields.Boolean()
    commander = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    assignee_team = fields.String(allow_none=True)
    configuration_items = fields.List(fields.Nested(ConfigurationItemSchema))
    hold_reason = fields.String(allow_none=True)
    resolution_code = fields.String(allow_none=True)
    resolution_summary = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
    detected_at = fields.DateTime(allow_none=True, dump_only=True,
                                  metadata={"description": "the alert's own start time, for incidents from alerts"})
    sequence = fields.Integer()
    version = fields.Integer()
    allowed_actions = fields.List(fields.String())


IncidentPageSchema = page_schema(IncidentSchema, "IncidentPage")


class IncidentListArgsSchema(PageArgsSchema):
    status = fields.List(one_of(STATUSES))
    open = fields.Boolean()
    severity = fields.List(one_of(SEVERITIES))
    priority = fields.List(one_of(PRIORITIES))
    team = fields.String()
    commander = fields.String()
    assignee = fields.String()
    incident_type = fields.String()
    created_from = Instant()
    created_to = Instant()
    q = fields.String(validate=validate.Length(min=1, max=200))
    sort = fields.String(validate=validate.OneOf([p + k for k in ("created_at", "updated_at", "priority", "severity")
                                                  for p in ("", "-")]))


class ActionBodySchema(Schema):
    """Fields an action may need: assign (assignee, assignee_team, to_me), hold and reopen (reason),
    resolve (resolution_code, resolution_summary)."""

    assignee = fields.String(validate=validate.Length(min=1, max=200))
    assignee_team = fields.String(validate=validate.Length(min=1, max=100))
    to_me = fields.Boolean()
    reason = fields.String(validate=validate.Length(max=2000))
    resolution_code = one_of(RESOLUTION_CODES)
    resolution_summary = fields.String(validate=validate.Length(max=20000))


class TimelineArgsSchema(Schema):
    kind = fields.List(fields.String())
    important = fields.Boolean()


class NoteCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    occurred_at = Instant()
    important = fields.Boolean(load_default=False)


class EntryPatchSchema(Schema):
    important = fields.Boolean()
    occurred_at = Instant()
    text = fields.String(validate=validate.Length(min=1, max=20000))


class TimelineEntrySchema(Schema):
    id = fields.Integer()
    sequence = fields.Integer(allow_none=True)
    kind = fields.String()
    summary = fields.String()
    actor = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    recorded_at = fields.DateTime()
    important = fields.Boolean()
    changes = fields.Dict(allow_none=True)
    detail = fields.Dict(allow_none=True)


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))


class _Child(Schema):
    id = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    created_by = fields.String(dump_only=True)


class TaskSchema(_Child):
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    assignee = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    due_at = Instant(allow_none=True)
    status = one_of(TASK_STATUSES, load_default="open")
    phase = fields.String(dump_only=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)


class TaskPatchSchema(Schema):
    description = fields.String(validate=validate.Length(min=1, max=2000))
    assignee = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    due_at = Instant(allow_none=True)
    status = one_of(TASK_STATUSES)


class ImpactSchema(_Child):
    start_at = Instant(required=True)
    end_at = Instant(allow_none=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ImpactPatchSchema(Schema):
    start_at = Instant()
    end_at = Instant(allow_none=True)
    description = fields.String(validate=validate.Length(min=1, max=2000))


class LinkSchema(_Child):
    kind = one_of(LINK_KINDS, required=True)
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    title = fields.String(allow_none=True, validate=validate.Length(max=300))


class CommentSchema(_Child):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    visibility = one_of(COMMENT_VISIBILITY, load_default="internal")


class RoleSchema(_Child):
    role = one_of(ROLES, required=True)
    user = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ChecklistItemSchema(_Child):
    playbook_id = fields.String(dump_only=True, allow_none=True)
    playbook_name = fields.String(dump_only=True)
    stage = fields.String(required=True, validate=validate.Length(min=1, max=200))
    position = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(allow_none=True)
    assignee_role = one_of(ROLES, allow_none=True)
    checked = fields.Boolean(dump_only=True)
    checked_by = fields.String(dump_only=True, allow_none=True)
    checked_at = fields.DateTime(dump_only=True, allow_none=True)


class ChecklistItemPatchSchema(Schema):
    op = fields.String(required=True, validate=validate.OneOf(["rename", "move", "check", "uncheck"]))
    title = fields.String(validate=validate.Length(min=1, max=300))
    stage = fields.String(validate=validate.Length(min=1, max=200))
    position = fields.Integer(validate=validate.Range(min=0))


class AttachPlaybookSchema(Schema):
    playbook_id = fields.String(required=True)


class PlaybookItemSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(allow_none=True)
    assignee_role = one_of(ROLES, allow_none=True)


class PlaybookStageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    items = fields.List(fields.Nested(PlaybookItemSchema), load_default=list)


class PlaybookSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True)
    incident_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    stages = fields.List(fields.Nested(PlaybookStageSchema), required=True, validate=validate.Length(min=1))
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PlaybookPatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True)
    incident_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    stages = fields.List(fields.Nested(PlaybookStageSchema), validate=validate.Length(min=1))


class IncidentTypeSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True)
    default_severity = one_of(SEVERITIES, allow_none=True)
    default_priority = one_of(PRIORITIES, allow_none=True)
    default_team = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    created_at = fields.DateTime(dump_only=True)


class HistoryArgsSchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "markdown"]))

