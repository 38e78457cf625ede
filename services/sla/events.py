"""The events the sla service publishes and consumes."""

from libs.common.catalog import EventCatalog, EventSpec, consumes
from libs.common.projection import INCIDENT_CREATED, IncidentFactsSchema

CATALOG = EventCatalog(
    service="sla",
    consumes=consumes(
        EventSpec(INCIDENT_CREATED, IncidentFactsSchema, "Start the incident's SLA clocks."),
    ),
)
