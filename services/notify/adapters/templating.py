"""Notification templates render in the shared capped Jinja2 sandbox (libs/common/templates.py)."""

from __future__ import annotations

from libs.common.templates import (
    MAX_OPERATIONS,
    MAX_OUTPUT,
    MAX_RANGE,
    MAX_SECONDS,
    MAX_SOURCE,
    CappedSandbox,
    Renderer,
    TemplateLimitError,
)

__all__ = ["MAX_OPERATIONS", "MAX_OUTPUT", "MAX_RANGE", "MAX_SECONDS", "MAX_SOURCE", "CappedSandbox", "Renderer",
           "TemplateLimitError"]
