"""Routes: postmortem templates (admins write, everyone with a token reads)."""

from __future__ import annotations

from libs.common.resources import resource_blueprint
from services.postmortem.entrypoints.schemas import PostmortemTemplateSchema
from services.postmortem.service_layer.templates import TEMPLATES

blp = resource_blueprint(TEMPLATES, PostmortemTemplateSchema, "/v1/postmortem-templates", name="postmortem_templates",
                         description="Jinja2 templates (sandboxed) for a postmortem's Markdown and HTML.")
