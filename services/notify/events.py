"""The events the notify service publishes and consumes."""

from libs.common.catalog import EventCatalog, EventSpec, consumes
from libs.common.projection import INCIDENT_CREATED, IncidentFactsSchema

CATALOG = EventCatalog(
    service="notify",
    consumes=consumes(
        EventSpec(INCIDENT_CREATED, IncidentFactsSchema, "Notify the people the rules name."),
    ),
)
