"""The events the postmortem service publishes and consumes.

It keeps its own copy of each incident from the incident service's events (each carries the full
snapshot, the timeline entry it wrote and, for tasks, impacts and roles, the item in `detail`), the
SLA outcomes from `firebreak.sla.*` and the escalation path from `firebreak.escalation.*`. What it
publishes has `ce-subject` = incident id and `ce-sequence` = the incident's postmortem sequence.
"""

from marshmallow import Schema, fields, validate

from libs.common.catalog import EventCatalog, EventSpec, consumes, publishes

INCIDENT = "firebreak.incident."
INCIDENT_EVENTS = {
    "created": "Start the incident's copy.",
    "updated": "Follow title, description, team, privacy, type and detection method.",
    "status_changed": "Follow the status; the first move to `stable` is the mitigation time.",
    "assigned": "Follow the assignee.",
    "acknowledged": "Take `acknowledged_at` for the key times.",
    "priority_changed": "Follow the priority.",
    "severity_changed": "Follow the severity (auto-drafts are chosen by it).",
    "resolved": "Take `resolved_at`; a postmortem can now be generated (or is auto-drafted).",
    "closed": "Follow the status.",
    "reopened": "Follow the status and the cleared resolution.",
    "note_added": "Copy the note or comment's timeline entry.",
    "task_changed": "Copy the task from `detail`.",
    "role_changed": "Copy the role from `detail`.",
    "impact_changed": "Copy the customer impact window from `detail`.",
    "alert_received": "Copy the alert's timeline entry.",
    "timeline_entry_changed": "Take an entry's new important flag, time or text.",
}
INCIDENT_TYPES = {f"{INCIDENT}{name}.v1": summary for name, summary in INCIDENT_EVENTS.items()}
INCIDENT_RESOLVED = f"{INCIDENT}resolved.v1"
TIMELINE_ENTRY_CHANGED = f"{INCIDENT}timeline_entry_changed.v1"
SLA_EVENTS = {"firebreak.sla.warning.v1": "warning", "firebreak.sla.breached.v1": "breached",
              "firebreak.sla.met.v1": "met"}
ESCALATION_EVENTS = {"firebreak.escalation.step_fired.v1": "step_fired",
                     "firebreak.escalation.escalated.v1": "escalated"}

POSTMORTEM_PUBLISHED = "firebreak.postmortem.published.v1"
ACTION_ITEM_CREATED = "firebreak.postmortem.action_item_created.v1"


class IncidentSnapshotSchema(Schema):
    """What a postmortem reads of an incident event (the snapshot fields are all optional but `id`)."""

    id = fields.String(required=True)
    reference = fields.String(load_default=None)
    title = fields.String(load_default=None)
    description = fields.String(allow_none=True, load_default=None)
    severity = fields.String(load_default=None)
    priority = fields.String(load_default=None)
    impact = fields.String(allow_none=True, load_default=None)
    incident_type = fields.String(allow_none=True, load_default=None)
    detection_method = fields.String(allow_none=True, load_default=None)
    status = fields.String(load_default=None)
    team = fields.String(allow_none=True, load_default=None)
    private = fields.Boolean(load_default=False)
    commander = fields.String(allow_none=True, load_default=None)
    assignee = fields.String(allow_none=True, load_default=None)
    assignee_team = fields.String(allow_none=True, load_default=None)
    escalation_level = fields.Integer(allow_none=True, load_default=None)
    resolution_code = fields.String(allow_none=True, load_default=None)
    resolution_summary = fields.String(allow_none=True, load_default=None)
    created_by = fields.String(allow_none=True, load_default=None)
    created_at = fields.String(load_default=None)
    acknowledged_at = fields.String(allow_none=True, load_default=None)
    started_at = fields.String(allow_none=True, load_default=None)
    resolved_at = fields.String(allow_none=True, load_default=None)
    closed_at = fields.String(allow_none=True, load_default=None)
    reopened_at = fields.String(allow_none=True, load_default=None)
    changes = fields.Dict(allow_none=True, load_default=None)
    actor = fields.String(allow_none=True, load_default=None)
    occurred_at = fields.String(allow_none=True, load_default=None)
    detail = fields.Dict(allow_none=True, load_default=None)
    timeline_entry = fields.Dict(allow_none=True, load_default=None)


class SlaOutcomeSchema(Schema):
    """Where one SLA target's clock stands."""

    incident_id = fields.String(required=True)
    target = fields.String(required=True)
    cycle = fields.Integer(load_default=1)
    policy_name = fields.String(allow_none=True, load_default=None)
    target_seconds = fields.Float(allow_none=True, load_default=None)
    due_at = fields.String(allow_none=True, load_default=None)
    at = fields.String(allow_none=True, load_default=None)
    elapsed_seconds = fields.Float(allow_none=True, load_default=None)
    overdue_seconds = fields.Float(allow_none=True, load_default=None)
    outcome = fields.String(allow_none=True, load_default=None)


class EscalationStepSchema(Schema):
    """A step of the escalation path (read tolerantly: every field may be missing but the incident)."""

    incident_id = fields.String(load_default=None)
    at = fields.String(allow_none=True, load_default=None)
    level = fields.Integer(allow_none=True, load_default=None)
    step = fields.Raw(allow_none=True, load_default=None)
    team = fields.String(allow_none=True, load_default=None)
    users = fields.List(fields.String(), allow_none=True, load_default=None)
    from_team = fields.String(allow_none=True, load_default=None)
    to_team = fields.String(allow_none=True, load_default=None)
    kind = fields.String(allow_none=True, load_default=None)
    trigger = fields.String(allow_none=True, load_default=None)
    reason = fields.String(allow_none=True, load_default=None)
    actor = fields.String(allow_none=True, load_default=None)


class PublishedSchema(Schema):
    postmortem_id = fields.String(required=True)
    incident_id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(allow_none=True, required=True)
    team = fields.String(allow_none=True, required=True)
    private = fields.Boolean(required=True)
    published_by = fields.String(required=True)
    published_at = fields.String(required=True)
    action_items = fields.Integer(required=True)


class ActionItemCreatedSchema(Schema):
    incident_id = fields.String(required=True)
    postmortem_id = fields.String(required=True)
    action_item_id = fields.String(required=True)
    title = fields.String(required=True)
    owner = fields.String(allow_none=True, required=True)
    due_date = fields.String(allow_none=True, required=True, metadata={"description": "YYYY-MM-DD"})
    priority = fields.String(required=True, validate=validate.OneOf(("critical", "high", "medium", "low")))


CATALOG = EventCatalog(
    service="postmortem",
    publishes=publishes(
        EventSpec(POSTMORTEM_PUBLISHED, PublishedSchema,
                  "A postmortem was published (from draft or in review); notify's rules may announce it."),
        EventSpec(ACTION_ITEM_CREATED, ActionItemCreatedSchema,
                  "An action item was added to a postmortem; the incident service makes it a follow-up task "
                  "once (keyed by `action_item_id`)."),
    ),
    consumes=consumes(
        *(EventSpec(t, IncidentSnapshotSchema, s) for t, s in INCIDENT_TYPES.items()),
        *(EventSpec(t, SlaOutcomeSchema, f"Record the target's `{k}` outcome.") for t, k in SLA_EVENTS.items()),
        *(EventSpec(t, EscalationStepSchema, f"Add the `{k}` step to the escalation path.")
          for t, k in ESCALATION_EVENTS.items()),
    ),
)
