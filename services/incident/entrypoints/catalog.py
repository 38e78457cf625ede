"""Routes: playbooks and incident types (admins write, everyone reads)."""

from __future__ import annotations

from libs.common.resources import resource_blueprint
from services.incident.entrypoints import schemas as s
from services.incident.service_layer.catalog import INCIDENT_TYPES, PLAYBOOKS

playbooks_blp = resource_blueprint(
    PLAYBOOKS, s.PlaybookSchema, "/v1/playbooks", name="playbooks", description="Playbooks.",
    operations=("list", "create", "get", "patch", "delete"), patch_schema=s.PlaybookPatchSchema,
    path_param="playbook_id", page_name="PlaybookPage", summaries={
        "patch": "Change a playbook (If-Match guards it); running incidents keep their copy.",
        "delete": "Delete a playbook; running incidents keep their copy.",
    })

types_blp = resource_blueprint(
    INCIDENT_TYPES, s.IncidentTypeSchema, "/v1/incident-types", name="incident_types",
    description="Incident types.", operations=("list", "create"), page_name="IncidentTypePage",
    summaries={"create": "Create an incident type; playbooks name it to be attached on creation."})
