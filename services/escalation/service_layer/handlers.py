"""Event and timer handlers of the escalation service."""

from services.escalation.adapters.timers import STEP_TIMER
from services.escalation.events import INCIDENT_TYPES, SLA_BREACHED, SLA_WARNING
from services.escalation.service_layer.escalate import sla_event
from services.escalation.service_layer.incidents import incident_changed
from services.escalation.service_layer.steps import step_timed_out


def event_handlers() -> dict:
    """Handler per consumed event type: every incident event carries the full snapshot."""
    return {**dict.fromkeys(INCIDENT_TYPES, incident_changed), SLA_WARNING: sla_event, SLA_BREACHED: sla_event}


def timer_handlers() -> dict:
    """Handler per timer kind: one timer per active chain."""
    return {STEP_TIMER: step_timed_out}
