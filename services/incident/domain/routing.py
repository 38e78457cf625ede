"""Routing rules on alert labels, maintenance windows and silences: which alerts page whom, and how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.incident.domain.errors import InvalidValue

OPERATORS = ("=", "!=", "=~", "!~")

# The regex engine comes from outside the domain (RE2, linear time): fullmatch(pattern, value), and
# regex_error(pattern) -> why the engine refuses it, or None.
FullMatch = Callable[[str, str], bool]
RegexError = Callable[[str], "str | None"]


def check_matchers(matchers: list[dict[str, str]], field: str, regex_error: RegexError) -> None:
    for m in matchers:
        if m.get("op") not in OPERATORS:
            raise InvalidValue(f"matcher op must be one of {', '.join(OPERATORS)}", field)
        if m["op"] in ("=~", "!~"):
            error = regex_error(m["value"])
            if error:
                raise InvalidValue(f"bad regular expression: {error}", field)


def matches(matchers: list[dict[str, str]], labels: dict[str, str], fullmatch: FullMatch) -> bool:
    """All matchers hold (Alertmanager semantics: a missing label is the empty string; regexes are anchored)."""
    for m in matchers:
        value, op, expected = labels.get(m["label"], ""), m["op"], m["value"]
        if op == "=":
            ok = value == expected
        elif op == "!=":
            ok = value != expected
        else:
            ok = fullmatch(expected, value) == (op == "=~")
        if not ok:
            return False
    return True


def check_rules(rules: list[dict[str, Any]], template_error: Callable[[str], str | None],
                regex_error: RegexError) -> None:
    """Valid matchers, and title templates that `template_error` finds nothing wrong with."""
    for index, rule in enumerate(rules):
        check_matchers(rule.get("matchers", []), f"routing_rules.{index}.matchers", regex_error)
        error = template_error(rule["title_template"]) if rule.get("title_template") else None
        if error:
            raise InvalidValue(f"bad title template: {error}", f"routing_rules.{index}.title_template")


@dataclass
class Route:
    team: str | None = None
    incident_type: str | None = None
    priority: str | None = None
    severity: str | None = None
    title_template: str | None = None


def route(rules: list[dict[str, Any]], labels: dict[str, str], fullmatch: FullMatch) -> Route:
    """The first rule whose matchers all hold, or an empty route."""
    for rule in rules:
        if matches(rule.get("matchers", []), labels, fullmatch):
            return Route(**{k: rule.get(k) for k in ("team", "incident_type", "priority", "severity",
                                                     "title_template")})
    return Route()


def in_window(window: dict[str, Any], now: datetime) -> bool:
    return window["starts_at"] <= now < window["ends_at"]
