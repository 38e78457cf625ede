"""The events the postmortem service publishes and consumes."""

from libs.common.catalog import EventCatalog, EventSpec, consumes
from libs.common.projection import INCIDENT_CREATED, IncidentFactsSchema

CATALOG = EventCatalog(
    service="postmortem",
    consumes=consumes(
        EventSpec(INCIDENT_CREATED, IncidentFactsSchema, "Keep the incident's facts for its postmortem."),
    ),
)
