"""Event handlers of the postmortem service."""

from libs.common.projection import INCIDENT_CREATED, record_incident
from services.postmortem.adapters.orm import known_incidents


def event_handlers() -> dict:
    """Handler per consumed event type."""
    return {INCIDENT_CREATED: record_incident(known_incidents)}
