"""Routes: playbooks and incident types (admins write, everyone reads)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from libs.common.auth import require_role
from libs.common.errors import NotFound
from libs.common.pagination import PageArgsSchema, page_schema
from services.incident.entrypoints import schemas as s
from services.incident.entrypoints.common import page_by_name, uow
from services.incident.service_layer import playbooks as handlers

playbooks_blp = Blueprint("playbooks", __name__, url_prefix="/v1/playbooks", description="Playbooks.")
types_blp = Blueprint("incident_types", __name__, url_prefix="/v1/incident-types", description="Incident types.")
PlaybookPage = page_schema(s.PlaybookSchema, "PlaybookPage")
TypePage = page_schema(s.IncidentTypeSchema, "IncidentTypePage")


@playbooks_blp.route("")
class Playbooks(MethodView):
    @playbooks_blp.arguments(PageArgsSchema, location="query")
    @playbooks_blp.response(200, PlaybookPage)
    def get(self, args):
        """List playbooks by name."""
        with uow() as u:
            return page_by_name(u.playbooks.list, args)

    @require_role("admin")
    @playbooks_blp.arguments(s.PlaybookSchema)
    @playbooks_blp.response(201, s.PlaybookSchema)
    def post(self, body):
        """Create a playbook."""
        return handlers.create_playbook(uow(), body)


@playbooks_blp.route("/<playbook_id>")
class PlaybookById(MethodView):
    @playbooks_blp.response(200, s.PlaybookSchema)
    def get(self, playbook_id: str):
        """Get a playbook."""
        with uow() as u:
            found = u.playbooks.get(playbook_id)
        if found is None:
            raise NotFound(f"no playbook {playbook_id}")
        return found

    @require_role("admin")
    @playbooks_blp.arguments(s.PlaybookPatchSchema)
    @playbooks_blp.response(200, s.PlaybookSchema)
    def patch(self, body, playbook_id: str):
        """Change a playbook; running incidents keep their copy."""
        return handlers.update_playbook(uow(), playbook_id, body)

    @require_role("admin")
    @playbooks_blp.response(204)
    def delete(self, playbook_id: str):
        """Delete a playbook; running incidents keep their copy."""
        handlers.delete_playbook(uow(), playbook_id)


@types_blp.route("")
class IncidentTypes(MethodView):
    @types_blp.arguments(PageArgsSchema, location="query")
    @types_blp.response(200, TypePage)
    def get(self, args):
        """List incident types by name."""
        with uow() as u:
            return page_by_name(u.incident_types.list, args)

    @require_role("admin")
    @types_blp.arguments(s.IncidentTypeSchema)
    @types_blp.response(201, s.IncidentTypeSchema)
    def post(self, body):
        """Create an incident type; playbooks name it to be attached on creation."""
        return handlers.create_incident_type(uow(), body)
