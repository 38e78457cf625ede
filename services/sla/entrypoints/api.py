"""HTTP routes of the sla service."""

from libs.common.projection import projection_blueprint
from services.sla.adapters.orm import known_incidents


def blueprints() -> list:
    return [projection_blueprint("sla", "/v1/sla", known_incidents)]
