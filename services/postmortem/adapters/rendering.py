"""Templates rendered in a Jinja2 sandbox with caps on output size and work; HTML autoescaped; PDF."""

from __future__ import annotations

from typing import Any

from libs.common.templates import Renderer, TemplateLimitError
from services.postmortem.domain.times import format_duration, format_instant

MAX_OUTPUT_CHARS = 1_000_000
MAX_OPERATIONS = 200_000
MAX_SOURCE_CHARS = 100_000
MAX_SECONDS = 5.0


class RenderError(ValueError):
    """A template that does not compile, fails, or exceeds its caps."""


def _renderer(html: bool) -> Renderer:
    # The shared capped sandbox (libs/common/templates.py), with a postmortem's larger caps.
    return Renderer(max_output=MAX_OUTPUT_CHARS, max_operations=MAX_OPERATIONS, max_seconds=MAX_SECONDS,
                    max_source=MAX_SOURCE_CHARS, autoescape=html,
                    filters={"duration": format_duration, "when": format_instant})


_RENDERERS = {True: _renderer(True), False: _renderer(False)}


def render(source: str, document: dict[str, Any], html: bool) -> str:
    """Render `source` with `pm` = the document; HTML output escapes every value."""
    try:
        return _RENDERERS[html].render(source, {"pm": document})
    except TemplateLimitError as exc:
        raise RenderError(str(exc)) from None


def check_template(source: str, html: bool) -> str | None:
    """Why a template source cannot be used (it must compile), or None."""
    return _RENDERERS[html].error(source)


def pdf(html: str) -> bytes:
    """The HTML as PDF (WeasyPrint; no resources are fetched from the network)."""
    from weasyprint import HTML  # imported on use: it loads Pango

    def no_fetch(url: str, *args, **kwargs):
        raise ValueError(f"external resource {url} not fetched")

    return HTML(string=html, url_fetcher=no_fetch).write_pdf()
