"""What the incident service does with the escalation service's events."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, fields

from libs.common.catalog import EventSpec
from libs.common.consumer import Handler
from libs.common.envelope import Event
from services.incident.service_layer import metrics
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

ESCALATED = "firebreak.escalation.escalated.v1"


class EscalatedSchema(Schema):
    """The fields of an escalation this service reads (it ignores the rest)."""

    incident_id = fields.String(required=True)
    from_team = fields.String(allow_none=True, load_default=None)
    to_team = fields.String(required=True)
    level = fields.Integer(required=True)
    kind = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    actor = fields.String(load_default="escalation")
    at = fields.AwareDateTime(default_timezone=UTC, load_default=None)


SPECS: tuple[EventSpec, ...] = (
    EventSpec(ESCALATED, EscalatedSchema, "Reassign the incident to `to_team`, raise its escalation level, "
              "and put the escalation on its timeline (once; a repeat or an older escalation changes nothing)."),
)


def escalated(uow: IncidentUnitOfWork, event: Event, data: dict[str, Any]) -> None:
    """Apply an escalation: team and assignee team become `to_team`, escalation_level becomes `level`."""
    # Imported here: publishing needs the catalog, which gathers this module's SPECS.
    from services.incident.service_layer.publishing import save

    incident = uow.incidents.get(data["incident_id"], for_update=True)
    if incident is None or incident.status == "closed" or incident.escalation_level >= data["level"]:
        return  # unknown, read-only, or this (or a later) escalation is already applied
    loaded = incident.version
    to_team = data["to_team"]
    changes: dict[str, dict[str, Any]] = {}
    for name, value in (("team", to_team), ("assignee_team", to_team), ("escalation_level", data["level"])):
        old = getattr(incident, name)
        if old != value:
            changes[name] = {"old": old, "new": value}
            setattr(incident, name, value)
    summary = f"Escalated ({data['kind']}) from {data['from_team'] or 'no team'} to {to_team}, level {data['level']}"
    if data.get("reason"):
        summary += f": {data['reason']}"
    # Reported as an assignment (the team changed), shown on the timeline as an escalation.
    incident.record("assigned", summary, data["actor"], data["at"] or uow.clock.now(), changes=changes,
                    reason=data.get("reason"), timeline_kind="escalated",
                    detail={"escalation": {k: data.get(k) for k in ("kind", "from_team", "to_team", "level")}})
    recorded = save(uow, incident, loaded)
    uow.on_commit(lambda: metrics.observe(incident, recorded))


def handlers() -> dict[str, Handler]:
    """Handler per consumed escalation event type."""
    return {ESCALATED: escalated}
