"""Datadog's webhook integration, with alert_transition, alert_priority, aggreg_key and tags added."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from marshmallow import ValidationError, fields, validate, validates

from services.incident.domain.alerts import AlertSignal
from services.incident.entrypoints.sources.common import Lenient, digest

# Every transition Datadog documents for $ALERT_TRANSITION; "No Data" is a monitor that lost its data: it pages.
TRANSITIONS = {"Triggered": "trigger", "Re-Triggered": "trigger", "Warn": "trigger", "Re-Warn": "trigger",
               "No Data": "trigger", "Re-No Data": "trigger", "Renotify": "trigger", "Recovered": "resolve",
               "Muted": "trigger", "Unmuted": "trigger"}
WARNINGS = ("Warn", "Re-Warn")
_PREFIX = re.compile(r"^(\s*\[[^\]]*\])+\s*")
_BRACKETS = re.compile(r"\[([^\]]*)\]")


class DatadogSchema(Lenient):
    id = fields.String(load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1))
    body = fields.String(load_default=None)
    # Missing from Datadog's default payload (the title's prefix says it); an unknown one is recorded, not refused.
    alert_transition = fields.String(load_default=None, allow_none=True)
    alert_priority = fields.String(load_default=None, allow_none=True)
    aggreg_key = fields.String(load_default=None, allow_none=True)
    alert_id = fields.String(load_default=None, allow_none=True)
    tags = fields.String(load_default="", allow_none=True)
    date = fields.String(load_default=None)
    last_updated = fields.String(load_default=None)
    link = fields.String(load_default=None)

    @validates("date")
    def _epoch_ms(self, value, **_):
        if value is not None and not str(value).isdigit():
            raise ValidationError("must be epoch milliseconds as a string")


def _tags(raw: str | None) -> dict[str, str]:
    labels = {}
    for tag in (raw or "").split(","):
        tag = tag.strip()
        if tag:
            key, _, value = tag.partition(":")
            labels[key] = value
    return labels


def transition_of(body: dict) -> str:
    """alert_transition, else the title's [Triggered] / [Recovered] / [No Data]… prefix; "Triggered" if neither."""
    if body.get("alert_transition"):
        return body["alert_transition"].strip()
    prefix = _PREFIX.match(body["title"])
    for word in _BRACKETS.findall(prefix.group(0) if prefix else ""):
        if word.strip() in TRANSITIONS:
            return word.strip()
    return "Triggered"


def datadog(body: dict) -> list[AlertSignal]:
    """One alert per post; Recovered resolves, Muted (or a transition Datadog adds later) is recorded only."""
    labels = _tags(body.get("tags"))
    transition = transition_of(body)
    known = transition in TRANSITIONS
    dedup = body.get("aggreg_key") or body.get("alert_id") or digest(_PREFIX.sub("", body["title"]), labels)
    started = None
    if body.get("date"):
        started = datetime.fromtimestamp(int(body["date"]) / 1000, UTC)
    severity = "warning" if transition in WARNINGS else body.get("alert_priority")
    return [AlertSignal(
        dedup_key=dedup,
        fingerprint=dedup,
        action=TRANSITIONS.get(transition, "trigger"),
        title=_PREFIX.sub("", body["title"]) or body["title"],
        severity_word=severity,
        labels=labels,
        summary=body.get("body"),
        details={"transition": transition, "known_transition": known, "event_id": body.get("id"),
                 "event_type": body.get("event_type")},
        links=[{"href": body["link"], "text": "Datadog"}] if body.get("link") else [],
        started_at=started,
        team_hint=labels.get("team"),
        muted=transition == "Muted" or not known,
    )]
