"""HTTP routes of the notify service."""

from libs.common.projection import projection_blueprint
from services.notify.adapters.orm import known_incidents


def blueprints() -> list:
    return [projection_blueprint("notify", "/v1/notifications", known_incidents)]
