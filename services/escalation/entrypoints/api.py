"""HTTP routes of the escalation service."""

from libs.common.projection import projection_blueprint
from services.escalation.adapters.orm import known_incidents


def blueprints() -> list:
    return [projection_blueprint("escalation", "/v1/escalations", known_incidents)]
