"""The events the notify service publishes and consumes (consumed schemas are tolerant readers)."""

from marshmallow import EXCLUDE, Schema, fields

from libs.common.catalog import EventCatalog, EventSpec, consumes, publishes

INCIDENT = "firebreak.incident."
INCIDENT_CREATED = INCIDENT + "created.v1"
INCIDENT_UPDATED = INCIDENT + "updated.v1"
INCIDENT_STATUS_CHANGED = INCIDENT + "status_changed.v1"
INCIDENT_ASSIGNED = INCIDENT + "assigned.v1"
INCIDENT_ACKNOWLEDGED = INCIDENT + "acknowledged.v1"
INCIDENT_PRIORITY_CHANGED = INCIDENT + "priority_changed.v1"
INCIDENT_SEVERITY_CHANGED = INCIDENT + "severity_changed.v1"
INCIDENT_RESOLVED = INCIDENT + "resolved.v1"
INCIDENT_CLOSED = INCIDENT + "closed.v1"
INCIDENT_REOPENED = INCIDENT + "reopened.v1"
INCIDENT_ROLE_CHANGED = INCIDENT + "role_changed.v1"
STEP_FIRED = "firebreak.escalation.step_fired.v1"
ESCALATION_STOPPED = "firebreak.escalation.stopped.v1"
ESCALATED = "firebreak.escalation.escalated.v1"
TEAM_CHANGED = "firebreak.escalation.team_changed.v1"
TEAM_DELETED = "firebreak.escalation.team_deleted.v1"
SLA_WARNING = "firebreak.sla.warning.v1"
SLA_BREACHED = "firebreak.sla.breached.v1"
POSTMORTEM_PUBLISHED = "firebreak.postmortem.published.v1"
ACK_REQUESTED = "firebreak.notify.acknowledgement_requested.v1"


class IncidentSnapshotSchema(Schema):
    """The fields of an incident event's snapshot notify keeps (it ignores the rest)."""

    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    priority = fields.String(required=True)
    status = fields.String(load_default="new")
    team = fields.String(allow_none=True, load_default=None)
    incident_type = fields.String(allow_none=True, load_default=None)
    private = fields.Boolean(load_default=False)
    commander = fields.String(allow_none=True, load_default=None)
    acknowledged_at = fields.String(allow_none=True, load_default=None)
    reopened_at = fields.String(allow_none=True, load_default=None)
    links = fields.Raw(allow_none=True, load_default=None)
    occurred_at = fields.String(allow_none=True, load_default=None)
    actor = fields.String(allow_none=True, load_default=None)


class StepFiredSchema(Schema):
    """Whom an escalation step pages, with the incident as escalation saw it."""

    incident_id = fields.String(required=True)
    escalation_id = fields.String(allow_none=True, load_default=None)
    step = fields.Integer(allow_none=True, load_default=None)
    round = fields.Integer(allow_none=True, load_default=None)
    level = fields.Integer(allow_none=True, load_default=None)
    team = fields.String(allow_none=True, load_default=None)
    users = fields.List(fields.String(), load_default=list)
    incident = fields.Dict(allow_none=True, load_default=None)
    token = fields.Raw(allow_none=True, load_default=None)
    at = fields.String(allow_none=True, load_default=None)


class IncidentRefSchema(Schema):
    """Any event about an incident: notify reads the id and keeps the rest for templates."""

    incident_id = fields.String(required=True)
    at = fields.String(allow_none=True, load_default=None)


class ChainEndedSchema(IncidentRefSchema):
    """An escalation chain ended; its pages still waiting are cancelled."""

    escalation_id = fields.String(allow_none=True, load_default=None)


class TeamMemberSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # nested schemas do not inherit the catalog's tolerance

    user = fields.String(required=True)


class TeamChangedSchema(Schema):
    """A team's members as escalation keeps them; `version` orders the changes."""

    name = fields.String(required=True)
    members = fields.List(fields.Nested(TeamMemberSchema), load_default=list)
    version = fields.Integer(required=True)


class TeamDeletedSchema(Schema):
    name = fields.String(required=True)


class AckRequestedSchema(Schema):
    """Someone followed a page's ack_url and confirmed: acknowledge as them if nobody has yet."""

    incident_id = fields.String(required=True)
    user = fields.String(required=True)
    via = fields.String(required=True)
    at = fields.String(required=True)


def _snapshot(event_type: str, summary: str) -> EventSpec:
    return EventSpec(event_type, IncidentSnapshotSchema, summary)


CATALOG = EventCatalog(
    service="notify",
    publishes=publishes(
        EventSpec(ACK_REQUESTED, AckRequestedSchema,
                  "A paged user confirmed the acknowledge page behind an ack_url; `via` is `ack_url`."),
    ),
    consumes=consumes(
        _snapshot(INCIDENT_CREATED, "Keep a copy of the incident; announce `declared` per the rules."),
        _snapshot(INCIDENT_UPDATED, "Follow title, team, type and privacy; announce `updated`."),
        _snapshot(INCIDENT_STATUS_CHANGED, "Follow the status; announce `status_changed`."),
        _snapshot(INCIDENT_ASSIGNED, "Follow the status; announce `assigned`."),
        _snapshot(INCIDENT_ACKNOWLEDGED, "Cancel pages still waiting; announce `acknowledged`."),
        _snapshot(INCIDENT_PRIORITY_CHANGED, "Follow the priority; announce `priority_changed`."),
        _snapshot(INCIDENT_SEVERITY_CHANGED, "Follow the severity; announce `severity_changed`."),
        _snapshot(INCIDENT_RESOLVED, "Cancel pages still waiting; announce `resolved`."),
        _snapshot(INCIDENT_CLOSED, "Cancel pages still waiting; announce `closed`."),
        _snapshot(INCIDENT_REOPENED, "Follow the status; announce `reopened`."),
        _snapshot(INCIDENT_ROLE_CHANGED, "Follow the commander."),
        EventSpec(STEP_FIRED, StepFiredSchema, "Page each named user through each contact method after its delay."),
        EventSpec(ESCALATION_STOPPED, ChainEndedSchema, "Cancel the chain's pages still waiting."),
        EventSpec(ESCALATED, IncidentRefSchema, "Announce `escalated` per the rules."),
        EventSpec(TEAM_CHANGED, TeamChangedSchema, "Keep the team's members: rules' team recipients, private "
                  "incidents' audience."),
        EventSpec(TEAM_DELETED, TeamDeletedSchema, "Forget the team's members."),
        EventSpec(SLA_WARNING, IncidentRefSchema, "Announce `sla_warning` per the rules."),
        EventSpec(SLA_BREACHED, IncidentRefSchema, "Announce `sla_breached` per the rules."),
        EventSpec(POSTMORTEM_PUBLISHED, IncidentRefSchema, "Announce `postmortem_published` per the rules."),
    ),
)
