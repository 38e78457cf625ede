"""What the incident service does with the notify service's events."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from libs.common.catalog import EventSpec
from libs.common.consumer import Handler
from libs.common.envelope import Event
from services.incident.service_layer import metrics
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

ACK_REQUESTED = "firebreak.notify.acknowledgement_requested.v1"
ACKNOWLEDGEABLE = ("new", "assigned")


class AckRequestedSchema(Schema):
    """Who confirmed an ack_url for which incident (the rest is ignored)."""

    incident_id = fields.String(required=True)
    user = fields.String(required=True)
    via = fields.String(load_default="ack_url")
    at = fields.String(allow_none=True, load_default=None)


SPECS: tuple[EventSpec, ...] = (
    EventSpec(ACK_REQUESTED, AckRequestedSchema, "Acknowledge the incident as `user` if nobody has yet "
              "(a repeat, or an incident already acknowledged, resolved or closed, changes nothing)."),
)


def acknowledgement_requested(uow: IncidentUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Acknowledge as the link's user, once: the same workflow action a responder's click performs."""
    # Imported here: publishing needs the catalog, which gathers this module's SPECS.
    from services.incident.service_layer.publishing import save

    incident = uow.incidents.get(data["incident_id"], for_update=True)
    if incident is None or incident.acknowledged_at is not None or incident.status not in ACKNOWLEDGEABLE:
        return
    loaded = incident.version
    incident.acknowledge(data["user"], uow.clock.now())
    recorded = save(uow, incident, loaded)
    uow.on_commit(lambda: metrics.observe(incident, recorded))


def handlers() -> dict[str, Handler]:
    """Handler per consumed notify event type."""
    return {ACK_REQUESTED: acknowledgement_requested}
