"""The events the sla service publishes and consumes.

Published events have `ce-subject` = incident id and `ce-sequence` = the incident's SLA sequence
(its own counter, increasing with every SLA event about that incident). A target that completes
publishes one `firebreak.sla.met.v1` whose `outcome` says `met` (within target) or `met_late`;
a late one has had its `firebreak.sla.breached.v1` before it.
"""

from datetime import UTC

from marshmallow import Schema, fields, validate

from libs.common.catalog import EventCatalog, EventSpec, consumes, publishes
from services.sla.domain.policy import PRIORITIES, TARGETS

INCIDENT = "firebreak.incident."
INCIDENT_CREATED = INCIDENT + "created.v1"
INCIDENT_UPDATED = INCIDENT + "updated.v1"
INCIDENT_STATUS_CHANGED = INCIDENT + "status_changed.v1"
INCIDENT_ASSIGNED = INCIDENT + "assigned.v1"
INCIDENT_ACKNOWLEDGED = INCIDENT + "acknowledged.v1"
INCIDENT_PRIORITY_CHANGED = INCIDENT + "priority_changed.v1"
INCIDENT_RESOLVED = INCIDENT + "resolved.v1"
INCIDENT_CLOSED = INCIDENT + "closed.v1"
INCIDENT_REOPENED = INCIDENT + "reopened.v1"

SLA_WARNING = "firebreak.sla.warning.v1"
SLA_BREACHED = "firebreak.sla.breached.v1"
SLA_MET = "firebreak.sla.met.v1"


def _when(**kwargs) -> fields.AwareDateTime:
    """An ISO-8601 instant; a naive one is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class IncidentSnapshotSchema(Schema):
    """The fields of an incident event's snapshot the SLA clocks read (it ignores the rest)."""

    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    status = fields.String(load_default="new")
    team = fields.String(allow_none=True, load_default=None)
    incident_type = fields.String(allow_none=True, load_default=None)
    private = fields.Boolean(load_default=False)
    created_at = _when(required=True)
    acknowledged_at = _when(allow_none=True, load_default=None)
    started_at = _when(allow_none=True, load_default=None)
    resolved_at = _when(allow_none=True, load_default=None)
    closed_at = _when(allow_none=True, load_default=None)
    reopened_at = _when(allow_none=True, load_default=None)
    occurred_at = _when(allow_none=True, load_default=None)


class SlaEventSchema(Schema):
    """Which incident, which target, and where its clock stands."""

    incident_id = fields.String(required=True)
    reference = fields.String(required=True)
    target = fields.String(required=True, validate=validate.OneOf(TARGETS))
    cycle = fields.Integer(required=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    team = fields.String(allow_none=True, required=True)
    incident_type = fields.String(allow_none=True, required=True)
    policy_id = fields.String(required=True)
    policy_name = fields.String(required=True)
    target_seconds = fields.Integer(required=True)
    started_at = fields.String(required=True)
    due_at = fields.String(allow_none=True, required=True)
    warning_at = fields.String(allow_none=True, required=True)
    at = fields.String(required=True)
    elapsed_seconds = fields.Float(required=True)


class SlaWarningSchema(SlaEventSchema):
    remaining_seconds = fields.Float(required=True)


class SlaBreachedSchema(SlaEventSchema):
    overdue_seconds = fields.Float(required=True)


class SlaMetSchema(SlaEventSchema):
    overdue_seconds = fields.Float(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("met", "met_late")))
    announced_at = fields.String(required=True)


def _reads(event_type: str, summary: str) -> EventSpec:
    return EventSpec(event_type, IncidentSnapshotSchema, summary)


CATALOG = EventCatalog(
    service="sla",
    publishes=publishes(
        EventSpec(SLA_WARNING, SlaWarningSchema,
                  "A target passed its warning threshold (default 80% of it elapsed); `at` is when, "
                  "`remaining_seconds` what is left."),
        EventSpec(SLA_BREACHED, SlaBreachedSchema,
                  "A target's working time ran out at `due_at`; emitted once per target and cycle, "
                  "`at` is when the SLA service announced it."),
        EventSpec(SLA_MET, SlaMetSchema,
                  "A target completed at `at`: `outcome` is `met` within target or `met_late` after a breach."),
    ),
    consumes=consumes(
        _reads(INCIDENT_CREATED, "Start the response and resolution clocks from `created_at`."),
        _reads(INCIDENT_UPDATED, "Keep team and type labels current (the applied policy stays)."),
        _reads(INCIDENT_STATUS_CHANGED, "On hold pauses the clocks (per policy), leaving it resumes them."),
        _reads(INCIDENT_ASSIGNED, "Follow the snapshot (status, first response)."),
        _reads(INCIDENT_ACKNOWLEDGED, "Complete the response target at `acknowledged_at`."),
        _reads(INCIDENT_PRIORITY_CHANGED, "Recompute open targets for the new priority from their start."),
        _reads(INCIDENT_RESOLVED, "Complete the resolution target at `resolved_at`."),
        _reads(INCIDENT_CLOSED, "Cancel whatever still runs."),
        _reads(INCIDENT_REOPENED, "Start a new resolution clock from `reopened_at`."),
    ),
)
