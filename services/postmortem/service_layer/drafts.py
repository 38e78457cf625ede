"""Automatic drafts: on resolve, a template that names the incident's severity drafts its postmortem."""

from __future__ import annotations

from services.postmortem.domain.projection import IncidentCopy
from services.postmortem.service_layer.postmortems import create_in
from services.postmortem.service_layer.templates import auto_draft_template
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

SYSTEM_ACTOR = "firebreak"


def auto_draft(uow: PostmortemUnitOfWork, copy: IncidentCopy) -> str | None:
    """Draft the postmortem in the handler's transaction if a template asks for it and none exists yet."""
    template = auto_draft_template(uow, copy.incident.get("severity"))
    if template is None or uow.postmortems.for_incident(copy.id) is not None:
        return None
    return create_in(uow, copy, template["timeline"], SYSTEM_ACTOR, template["id"])
