"""The events the escalation service publishes and consumes.

Events about an incident have `ce-subject` = incident id and `ce-sequence` = this service's own
sequence for that incident (+1 per escalation event). Team events have subject `team/<name>` and
`ce-sequence` = the team's version. notify pages each user of `step_fired` and stops on `stopped`.
"""

from datetime import UTC

from marshmallow import Schema, fields, validate

from libs.common.catalog import EventCatalog, EventSpec, consumes, publishes
from services.escalation.domain.chain import STATUSES

INCIDENT = "firebreak.incident."
INCIDENT_TYPES = tuple(INCIDENT + name + ".v1" for name in (
    "created", "updated", "status_changed", "assigned", "acknowledged", "priority_changed", "severity_changed",
    "resolved", "closed", "reopened"))
SLA_WARNING = "firebreak.sla.warning.v1"
SLA_BREACHED = "firebreak.sla.breached.v1"

PREFIX = "firebreak.escalation."
STARTED = PREFIX + "started.v1"
STEP_FIRED = PREFIX + "step_fired.v1"
ESCALATED = PREFIX + "escalated.v1"
EXHAUSTED = PREFIX + "exhausted.v1"
STOPPED = PREFIX + "stopped.v1"
TEAM_CHANGED = PREFIX + "team_changed.v1"
TEAM_DELETED = PREFIX + "team_deleted.v1"
ESCALATION_KINDS = ("hierarchical", "functional", "sla")
TRIGGERS = ("step", "sla_warning", "sla_breach")


class IncidentSnapshotSchema(Schema):
    """The fields of an incident event's snapshot this service keeps (it ignores the rest)."""

    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(required=True)
    team = fields.String(allow_none=True, load_default=None)
    assignee_team = fields.String(allow_none=True, load_default=None)
    private = fields.Boolean(load_default=False)
    incident_type = fields.String(allow_none=True, load_default=None)
    commander = fields.String(allow_none=True, load_default=None)
    escalation_level = fields.Integer(allow_none=True, load_default=0)
    created_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    acknowledged_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    started_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)


class SlaEventSchema(Schema):
    """The fields of an SLA warning or breach this service reads."""

    incident_id = fields.String(required=True)
    target = fields.String(required=True)
    cycle = fields.Integer(required=True)
    team = fields.String(allow_none=True, load_default=None)


class IncidentSummarySchema(Schema):
    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(required=True)
    team = fields.String(allow_none=True, required=True)
    commander = fields.String(allow_none=True, required=True)
    private = fields.Boolean(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ChainEventSchema(Schema):
    escalation_id = fields.String(required=True, allow_none=True)
    incident_id = fields.String(required=True)
    team = fields.String(required=True, allow_none=True)
    level = fields.Integer(required=True)
    at = fields.String(required=True)


class StartedSchema(ChainEventSchema):
    policy_id = fields.String(required=True)
    policy_name = fields.String(required=True)
    cause = fields.String(required=True, validate=validate.OneOf(("automatic", *ESCALATION_KINDS)))


class StepFiredSchema(ChainEventSchema):
    step = fields.Integer(required=True)
    round = fields.Integer(required=True)
    users = fields.List(fields.String(), required=True)
    targets = fields.List(fields.Dict(), required=True)
    timeout_seconds = fields.Integer(required=True, allow_none=True)
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    token = fields.Integer(required=True)
    incident = fields.Nested(IncidentSummarySchema, required=True)


class EscalatedSchema(Schema):
    escalation_id = fields.String(required=True)
    incident_id = fields.String(required=True)
    from_team = fields.String(required=True, allow_none=True)
    to_team = fields.String(required=True)
    level = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ESCALATION_KINDS))
    reason = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True)
    at = fields.String(required=True)


class ExhaustedSchema(ChainEventSchema):
    rounds = fields.Integer(required=True)


class StoppedSchema(ChainEventSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(required=True)


class TeamMemberSchema(Schema):
    user = fields.String(required=True)
    role = fields.String(required=True)


class TeamChangedSchema(Schema):
    name = fields.String(required=True)
    parent = fields.String(required=True, allow_none=True)
    members = fields.List(fields.Nested(TeamMemberSchema), required=True)
    version = fields.Integer(required=True)
    at = fields.String(required=True)


class TeamDeletedSchema(Schema):
    name = fields.String(required=True)
    at = fields.String(required=True)


def _reads(event_type: str, summary: str) -> EventSpec:
    return EventSpec(event_type, IncidentSnapshotSchema, summary)


CATALOG = EventCatalog(
    service="escalation",
    publishes=publishes(
        EventSpec(STARTED, StartedSchema, "An escalation chain started for the incident's team under a policy "
                  "(copied onto the chain); `cause` says why."),
        EventSpec(STEP_FIRED, StepFiredSchema, "Page these `users` now: a policy step fired (or an SLA action paged "
                  "the team lead); carries the incident's title, severity and links. notify pages each user."),
        EventSpec(ESCALATED, EscalatedSchema, "The incident was escalated to `to_team` (hierarchical, functional "
                  "or SLA-driven); the incident service reassigns it and raises its escalation level."),
        EventSpec(EXHAUSTED, ExhaustedSchema, "Every step and repeat fired without an acknowledgement."),
        EventSpec(STOPPED, StoppedSchema, "The chain ended: acknowledged, or stopped (resolved, closed, "
                  "reassigned, escalated); notify stops paging for it."),
        EventSpec(TEAM_CHANGED, TeamChangedSchema, "A team was created or changed: its parent and members "
                  "(for services that keep their own copy)."),
        EventSpec(TEAM_DELETED, TeamDeletedSchema, "A team was deleted."),
    ),
    consumes=consumes(
        _reads(INCIDENT_TYPES[0], "Keep the incident's copy; start its team's policy unless acknowledged."),
        _reads(INCIDENT_TYPES[1], "Follow title, privacy and team; a new team gets its own policy started."),
        _reads(INCIDENT_TYPES[2], "Starting work counts as a response: the chain stops (acknowledged)."),
        _reads(INCIDENT_TYPES[3], "A new assignee team stops the chain and starts that team's policy."),
        _reads(INCIDENT_TYPES[4], "Stop the chain (acknowledged)."),
        _reads(INCIDENT_TYPES[5], "Follow the priority (pages carry it)."),
        _reads(INCIDENT_TYPES[6], "Follow the severity (pages carry it)."),
        _reads(INCIDENT_TYPES[7], "Stop the chain (resolved)."),
        _reads(INCIDENT_TYPES[8], "Stop the chain (closed)."),
        _reads(INCIDENT_TYPES[9], "Follow the status; the chain is not restarted."),
        EventSpec(SLA_WARNING, SlaEventSchema, "Run the policy's `on_sla_warning` action once per target and cycle."),
        EventSpec(SLA_BREACHED, SlaEventSchema, "Run the policy's `on_sla_breach` action once per target and cycle."),
    ),
)
