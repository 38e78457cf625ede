"""HTTP routes for contacts, notification rules and templates (with a preview against an incident)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from libs.common.auth import current_principal, require_role
from libs.common.resources import resource_blueprint
from services.notify.entrypoints.schemas import (
    ContactSchema,
    PreviewArgsSchema,
    PreviewSchema,
    RuleSchema,
    TemplateSchema,
)
from services.notify.service_layer import commands
from services.notify.service_layer.config import CONTACTS, RULES, TEMPLATES


def _contact_view(row: dict[str, Any]) -> dict[str, Any]:
    methods = [{**m, "has_secret": bool(m.get("secret"))} for m in row.get("methods") or []]
    return {**row, "methods": methods}


contacts_blp = resource_blueprint(
    CONTACTS, ContactSchema, "/v1/contacts", name="notify_contacts", write_role="responder", view=_contact_view,
    description="Whom to reach and how: methods (email, webhook, slack, mattermost, teams, apprise) with delays, "
                "and quiet hours. Responders write their own contact; admins anyone's.")
rules_blp = resource_blueprint(
    RULES, RuleSchema, "/v1/notification-rules", name="notify_rules",
    description="Which events about which incidents go to whom, with which template. With no rules, only pages.")
templates_blp = resource_blueprint(
    TEMPLATES, TemplateSchema, "/v1/templates", name="notify_templates",
    description="Jinja2 templates (sandboxed, output and work capped) for a category and channel.")


@templates_blp.route("/<template_id>/preview")
class TemplatePreview(MethodView):
    @require_role("viewer")
    @templates_blp.arguments(PreviewArgsSchema)
    @templates_blp.response(200, PreviewSchema)
    def post(self, body, template_id: str):
        """Render a template against an incident (changes nothing): subject, text and its channel's body."""
        uow = current_app.extensions["firebreak.uow"]()
        return commands.preview(uow, template_id, body["incident_id"], current_principal())
