"""Postmortem templates (Jinja2, sandboxed): stored ones, the default, and the built-in fallback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from libs.common.resources import Change, Resource, invalid
from services.postmortem.adapters import default_templates
from services.postmortem.adapters.orm import templates
from services.postmortem.adapters.rendering import check_template
from services.postmortem.domain.document import TIMELINE_MODES
from services.postmortem.service_layer.unit_of_work import PostmortemUnitOfWork

SEVERITIES = ("critical", "major", "moderate", "minor", "unknown")
BUILT_IN = {"id": None, "name": "built-in", "markdown": default_templates.MARKDOWN, "html": default_templates.HTML,
            "timeline": "important", "auto_draft_severities": [], "is_default": True}


def _check(change: Change) -> dict[str, Any]:
    values = change.values
    for name, html in (("markdown", False), ("html", True)):
        problem = check_template(values.get(name) or "", html)
        if problem:
            raise invalid(name, f"template {problem}")
    if values.get("timeline", "important") not in TIMELINE_MODES:
        raise invalid("timeline", f"must be one of {', '.join(TIMELINE_MODES)}")
    unknown = set(values.get("auto_draft_severities") or []) - set(SEVERITIES)
    if unknown:
        raise invalid("auto_draft_severities", f"unknown severities {sorted(unknown)}")
    return values


def _one_default(change: Change) -> None:
    # At most one default: choosing a new one unmarks the others in the same transaction.
    row = change.row
    if row is not None and row.get("is_default"):
        change.uow.session.execute(update(templates).where(templates.c.id != row["id"]).values(is_default=False))


TEMPLATES = Resource(templates, "postmortem template", lookup=("id", "name"), validate=_check,
                     on_change=_one_default)


def template_for(uow: PostmortemUnitOfWork, template_id: str | None) -> dict[str, Any]:
    """The named template, else the stored default, else the built-in one (inside an open transaction)."""
    if template_id:
        found = TEMPLATES.find_in(uow, template_id)
        if found is not None:
            return found
    row = uow.session.execute(select(templates).where(templates.c.is_default.is_(True))).mappings().first()
    return dict(row) if row else BUILT_IN


def auto_draft_template(uow: PostmortemUnitOfWork, severity: str | None) -> dict[str, Any] | None:
    """The template that asks for an automatic draft at this severity (the default one first), if any."""
    rows = uow.session.execute(select(templates).order_by(templates.c.is_default.desc(), templates.c.name)
                               ).mappings().all()
    return next((dict(r) for r in rows if severity in (r["auto_draft_severities"] or [])), None)
