"""Routing rules' title templates, in the shared capped Jinja sandbox (kept out of the domain: stdlib only).

A template that does not compile is refused when the rule is saved (422 naming it); one that fails or hits
a cap while rendering (too much work, output over MAX_TITLE_OUTPUT) falls back to the alert's own title, so
the alert still opens its incident.
"""

from __future__ import annotations

import logging

from libs.common.templates import Renderer, TemplateLimitError

MAX_TITLE_OUTPUT = 2_000
logger = logging.getLogger(__name__)

_titles = Renderer(max_output=MAX_TITLE_OUTPUT, max_operations=2_000, max_seconds=0.25, max_source=500,
                   max_range=100)


def template_error(template: str) -> str | None:
    """Why a title template cannot be used, or None if it compiles."""
    return _titles.error(template)


def render_title(template: str, labels: dict[str, str], title: str, summary: str | None) -> str:
    try:
        rendered = _titles.render(template, {"labels": labels, "title": title, "summary": summary or ""})
    except TemplateLimitError as exc:
        logger.warning("title template fell back to the alert's title: %s", exc)
        return title
    return rendered.strip()[:300] or title
