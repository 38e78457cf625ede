"""The events the escalation service publishes and consumes."""

from libs.common.catalog import EventCatalog, EventSpec, consumes
from libs.common.projection import INCIDENT_CREATED, IncidentFactsSchema

CATALOG = EventCatalog(
    service="escalation",
    consumes=consumes(
        EventSpec(INCIDENT_CREATED, IncidentFactsSchema, "Start escalating the incident per its team's policy."),
    ),
)
