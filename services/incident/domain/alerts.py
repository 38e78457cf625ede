"""Alerts as monitoring sends them, reduced to what intake needs; severity words mapped to ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Words senders use for severity, mapped onto incident severities.
SEVERITY_WORDS = {
    "critical": "critical", "crit": "critical", "fatal": "critical", "emergency": "critical", "page": "critical",
    "p1": "critical", "sev1": "critical", "disaster": "critical",
    "high": "major", "major": "major", "error": "major", "err": "major", "p2": "major", "sev2": "major",
    "warning": "moderate", "warn": "moderate", "medium": "moderate", "moderate": "moderate", "average": "moderate",
    "p3": "moderate", "sev3": "moderate",
    "low": "minor", "minor": "minor", "info": "minor", "informational": "minor", "notice": "minor",
    "p4": "minor", "p5": "minor", "sev4": "minor", "sev5": "minor",
}
PRIORITY_FOR_SEVERITY = {"critical": "critical", "major": "high", "moderate": "medium", "minor": "low",
                         "unknown": "medium"}
ACTIONS = ("trigger", "resolve", "acknowledge")


def map_severity(word: str | None, overrides: dict[str, str] | None = None) -> str:
    """Our severity for a sender's word; the integration's own map wins; unknown words are 'unknown'."""
    if word is None:
        return "unknown"
    key = str(word).strip().lower()
    if overrides and key in overrides:
        return overrides[key]
    return SEVERITY_WORDS.get(key, "unknown")


@dataclass
class AlertSignal:
    """One alert in one post: what it is about, and whether it fires, resolves or is acknowledged."""

    dedup_key: str
    fingerprint: str
    action: str
    title: str
    severity_word: str | None
    labels: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    started_at: datetime | None = None
    team_hint: str | None = None
    muted: bool = False
