"""The events the incident service publishes and consumes.

Every incident event carries the incident's full snapshot after the change (so a consumer never
needs to ask for state), plus `changes` ({field: {"old", "new"}}), the `actor`, `occurred_at` and the
`timeline_entry` the change wrote (or, for `timeline_entry_changed`, the entry as edited).
`ce-sequence` orders them per incident; consumers ignore a sequence they have already passed.
"""

from marshmallow import fields, validate

from libs.common.catalog import EventCatalog, EventSpec, consumes, publishes
from libs.common.fast_schema import FastLoadSchema
from services.incident.domain.model import PRIORITIES, SEVERITIES, STATUSES
from services.incident.inbound import SPECS as CONSUMED

PREFIX = "firebreak.incident."
INCIDENT_CREATED = PREFIX + "created.v1"
INCIDENT_UPDATED = PREFIX + "updated.v1"
INCIDENT_STATUS_CHANGED = PREFIX + "status_changed.v1"
INCIDENT_ASSIGNED = PREFIX + "assigned.v1"
INCIDENT_ACKNOWLEDGED = PREFIX + "acknowledged.v1"
INCIDENT_PRIORITY_CHANGED = PREFIX + "priority_changed.v1"
INCIDENT_SEVERITY_CHANGED = PREFIX + "severity_changed.v1"
INCIDENT_RESOLVED = PREFIX + "resolved.v1"
INCIDENT_CLOSED = PREFIX + "closed.v1"
INCIDENT_REOPENED = PREFIX + "reopened.v1"
INCIDENT_NOTE_ADDED = PREFIX + "note_added.v1"
INCIDENT_TASK_CHANGED = PREFIX + "task_changed.v1"
INCIDENT_ROLE_CHANGED = PREFIX + "role_changed.v1"
INCIDENT_IMPACT_CHANGED = PREFIX + "impact_changed.v1"
INCIDENT_ALERT_RECEIVED = PREFIX + "alert_received.v1"
INCIDENT_TIMELINE_ENTRY_CHANGED = PREFIX + "timeline_entry_changed.v1"


class TimelineEntrySchema(FastLoadSchema):
    """The timeline entry a change wrote, or the entry an edit changed (flag, time, text)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    summary = fields.String(required=True)
    actor = fields.String(allow_none=True)
    occurred_at = fields.String(required=True)
    important = fields.Boolean(required=True)


class IncidentEventSchema(FastLoadSchema):  # checked on every incident write
    """An incident's snapshot after the change, and what changed."""

    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    impact = fields.String(allow_none=True)
    incident_type = fields.String(allow_none=True)
    detection_method = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    team = fields.String(allow_none=True)
    private = fields.Boolean(required=True)
    commander = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    assignee_team = fields.String(allow_none=True)
    escalation_level = fields.Integer(allow_none=True)
    resolution_code = fields.String(allow_none=True)
    resolution_summary = fields.String(allow_none=True)
    hold_reason = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True)
    acknowledged_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    reopened_at = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Dict())
    actor = fields.String(allow_none=True)
    occurred_at = fields.String()
    reason = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    timeline_entry = fields.Nested(TimelineEntrySchema, allow_none=True)


def _spec(event_type: str, summary: str) -> EventSpec:
    return EventSpec(event_type, IncidentEventSchema, summary)


CATALOG = EventCatalog(
    service="incident",
    publishes=publishes(
        _spec(INCIDENT_CREATED, "An incident was declared, by hand or from an alert."),
        _spec(INCIDENT_UPDATED, "Descriptive fields changed (title, description, category, impact, type, team)."),
        _spec(INCIDENT_STATUS_CHANGED, "The workflow status changed (start, hold with reason, resume, stabilize)."),
        _spec(INCIDENT_ASSIGNED, "The assignee (user and/or team) changed; `new` may move to `assigned`."),
        _spec(INCIDENT_ACKNOWLEDGED, "Someone acknowledged the incident; `acknowledged_at` is set."),
        _spec(INCIDENT_PRIORITY_CHANGED, "The priority changed; SLA targets follow it."),
        _spec(INCIDENT_SEVERITY_CHANGED, "The severity changed."),
        _spec(INCIDENT_RESOLVED, "The incident was resolved with a resolution code and summary."),
        _spec(INCIDENT_CLOSED, "The incident was closed; it is read-only from now on."),
        _spec(INCIDENT_REOPENED, "A resolved incident was reopened with a reason; `reopened_at` is set."),
        _spec(INCIDENT_NOTE_ADDED, "A note was added to the timeline; `detail` holds it."),
        _spec(INCIDENT_TASK_CHANGED, "A task was created, changed or removed; `detail` holds it."),
        _spec(INCIDENT_ROLE_CHANGED, "A role (commander, scribe, liaison, responder) changed."),
        _spec(INCIDENT_IMPACT_CHANGED, "A customer impact window was added, changed or removed."),
        _spec(INCIDENT_ALERT_RECEIVED, "An alert fired, fired again or resolved on the incident; `detail` holds it."),
        _spec(INCIDENT_TIMELINE_ENTRY_CHANGED,
              "A timeline entry was flagged important (or not), re-dated or re-worded; `timeline_entry` holds it."),
    ),
    consumes=consumes(*CONSUMED),
)
