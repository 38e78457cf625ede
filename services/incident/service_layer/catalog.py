"""Playbooks and incident types as named resources (their API has always answered a taken name with 422)."""

from __future__ import annotations

from typing import Any

from libs.common.resources import Change, Resource
from services.incident.adapters.orm import incident_types, playbooks
from services.incident.domain.playbook import check_stages


def _playbook_values(change: Change) -> dict[str, Any]:
    """Stages must be named uniquely; incidents that already carry a playbook's checklist keep their copy."""
    check_stages(change.values["stages"])
    return change.values


PLAYBOOKS = Resource(playbooks, "playbook", validate=_playbook_values, duplicate_status=422)
INCIDENT_TYPES = Resource(incident_types, "incident type", duplicate_status=422)
