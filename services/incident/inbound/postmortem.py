"""What the incident service does with the postmortem service's events: action items become follow-up tasks."""

from __future__ import annotations

from marshmallow import Schema, fields

from libs.common.catalog import EventSpec
from libs.common.consumer import Handler

ACTION_ITEM_CREATED = "firebreak.postmortem.action_item_created.v1"


class ActionItemCreatedSchema(Schema):
    """An action item of a postmortem (read tolerantly: newer publishers may add fields)."""

    incident_id = fields.String(required=True)
    postmortem_id = fields.String(required=True)
    action_item_id = fields.String(required=True)
    title = fields.String(required=True)
    owner = fields.String(allow_none=True, load_default=None)
    due_date = fields.Date(allow_none=True, load_default=None)
    priority = fields.String(allow_none=True, load_default=None)


SPECS: tuple[EventSpec, ...] = (
    EventSpec(ACTION_ITEM_CREATED, ActionItemCreatedSchema,
              "Create a follow-up task on the incident, once per action item."),
)


def handlers() -> dict[str, Handler]:
    """Handler per consumed postmortem event type."""
    # Imported here: the service layer imports the event catalog, which gathers these SPECS.
    from services.incident.service_layer.follow_ups import action_item_created

    return {ACTION_ITEM_CREATED: action_item_created}
