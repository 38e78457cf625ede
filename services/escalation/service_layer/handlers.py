"""Event handlers of the escalation service."""

from libs.common.projection import INCIDENT_CREATED, record_incident
from services.escalation.adapters.orm import known_incidents


def event_handlers() -> dict:
    """Handler per consumed event type."""
    return {INCIDENT_CREATED: record_incident(known_incidents)}
