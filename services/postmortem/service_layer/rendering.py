"""Rendering a postmortem document with its template as Markdown, HTML or PDF."""

from __future__ import annotations

from typing import Any

from libs.common.errors import ProblemError, Unprocessable
from services.postmortem.adapters.rendering import RenderError, pdf, render
from services.postmortem.service_layer.templates import template_for
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork


class PdfUnavailable(ProblemError):
    status, title, slug = 406, "Not Acceptable", "pdf-unavailable"


def render_document(uow: PostmortemUnitOfWork, document: dict[str, Any], form: str) -> str | bytes:
    """The document through its template (or the default one); a failing template is a 422 naming it."""
    with uow:
        template = template_for(uow, document.get("template_id"))
    source = template["markdown"] if form == "markdown" else template["html"]
    try:
        text = render(source, document, html=form != "markdown")
    except RenderError as exc:
        raise Unprocessable(f"template {template['name']!r} cannot render this postmortem: {exc}",
                            errors=[{"field": "template_id", "location": "json", "message": str(exc)}]) from None
    if form != "pdf":
        return text
    try:
        return pdf(text)
    except (ImportError, OSError) as exc:
        # WeasyPrint or its Pango libraries are missing from this installation (scripts/system-deps.sh).
        raise PdfUnavailable(f"PDF rendering is not available here: {exc}") from None
