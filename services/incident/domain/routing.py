"""Routing rules on alert labels, maintenance windows and silences: which alerts page whom, and how."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from services.incident.domain.errors import InvalidValue

OPERATORS = ("=", "!=", "=~", "!~")
_templates = SandboxedEnvironment(autoescape=False)


def check_matchers(matchers: list[dict[str, str]], field: str) -> None:
    for m in matchers:
        if m.get("op") not in OPERATORS:
            raise InvalidValue(f"matcher op must be one of {', '.join(OPERATORS)}", field)
        if m["op"] in ("=~", "!~"):
            try:
                re.compile(m["value"])
            except re.error as exc:
                raise InvalidValue(f"bad regular expression {m['value']!r}: {exc}", field) from None


def matches(matchers: list[dict[str, str]], labels: dict[str, str]) -> bool:
    """All matchers hold (Alertmanager semantics: a missing label is the empty string; regexes are anchored)."""
    for m in matchers:
        value, op, expected = labels.get(m["label"], ""), m["op"], m["value"]
        if op == "=":
            ok = value == expected
        elif op == "!=":
            ok = value != expected
        else:
            ok = (re.fullmatch(expected, value) is not None) == (op == "=~")
        if not ok:
            return False
    return True


def check_rules(rules: list[dict[str, Any]]) -> None:
    for index, rule in enumerate(rules):
        check_matchers(rule.get("matchers", []), f"routing_rules.{index}.matchers")
        if rule.get("title_template"):
            try:
                _templates.from_string(rule["title_template"])
            except Exception as exc:  # noqa: BLE001 - any template error is the caller's input
                raise InvalidValue(f"bad title template: {exc}", f"routing_rules.{index}.title_template") from None


@dataclass
class Route:
    team: str | None = None
    incident_type: str | None = None
    priority: str | None = None
    severity: str | None = None
    title_template: str | None = None


def route(rules: list[dict[str, Any]], labels: dict[str, str]) -> Route:
    """The first rule whose matchers all hold, or an empty route."""
    for rule in rules:
        if matches(rule.get("matchers", []), labels):
            return Route(**{k: rule.get(k) for k in ("team", "incident_type", "priority", "severity",
                                                     "title_template")})
    return Route()


def render_title(template: str, labels: dict[str, str], title: str, summary: str | None) -> str:
    try:
        rendered = _templates.from_string(template).render(labels=labels, title=title, summary=summary or "")
    except Exception:  # noqa: BLE001 - a template that fails at render time falls back to the alert's title
        return title
    return rendered.strip()[:300] or title


def in_window(window: dict[str, Any], now: datetime) -> bool:
    return window["starts_at"] <= now < window["ends_at"]
