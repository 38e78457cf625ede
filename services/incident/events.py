"""The events the incident service publishes and consumes."""

from marshmallow import Schema, fields, validate

from libs.common.catalog import EventCatalog, EventSpec, publishes
from services.incident.domain.model import PRIORITIES, SEVERITIES, STATUSES

INCIDENT_CREATED = "firebreak.incident.created.v1"


class IncidentCreatedSchema(Schema):
    id = fields.String(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    team = fields.String(allow_none=True)
    private = fields.Boolean(required=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True)


CATALOG = EventCatalog(
    service="incident",
    publishes=publishes(
        EventSpec(INCIDENT_CREATED, IncidentCreatedSchema, "An incident was declared, by hand or from an alert."),
    ),
)
