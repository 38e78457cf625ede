"""HTTP routes of the postmortem service."""

from libs.common.projection import projection_blueprint
from services.postmortem.adapters.orm import known_incidents


def blueprints() -> list:
    return [projection_blueprint("postmortem", "/v1/postmortems", known_incidents)]
