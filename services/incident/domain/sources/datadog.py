"""Datadog's webhook integration, with alert_transition, alert_priority, aggreg_key and tags added."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from marshmallow import ValidationError, fields, validate, validates

from services.incident.domain.alerts import AlertSignal
from services.incident.domain.sources.common import Lenient, digest

TRANSITIONS = {"Triggered": "trigger", "Re-Triggered": "trigger", "Warn": "trigger", "Recovered": "resolve",
               "Muted": "trigger", "Unmuted": "trigger"}
_PREFIX = re.compile(r"^(\s*\[[^\]]*\])+\s*")


class DatadogSchema(Lenient):
    id = fields.String(load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1))
    body = fields.String(load_default=None)
    alert_transition = fields.String(required=True, validate=validate.OneOf(sorted(TRANSITIONS)))
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


def datadog(body: dict) -> list[AlertSignal]:
    """One alert per post; Recovered resolves, Muted is recorded without paging."""
    labels = _tags(body.get("tags"))
    transition = body["alert_transition"]
    dedup = body.get("aggreg_key") or body.get("alert_id") or digest(_PREFIX.sub("", body["title"]), labels)
    started = None
    if body.get("date"):
        started = datetime.fromtimestamp(int(body["date"]) / 1000, UTC)
    severity = "warning" if transition == "Warn" else body.get("alert_priority")
    return [AlertSignal(
        dedup_key=dedup,
        fingerprint=dedup,
        action=TRANSITIONS[transition],
        title=_PREFIX.sub("", body["title"]) or body["title"],
        severity_word=severity,
        labels=labels,
        summary=body.get("body"),
        details={"transition": transition, "event_id": body.get("id"), "event_type": body.get("event_type")},
        links=[{"href": body["link"], "text": "Datadog"}] if body.get("link") else [],
        started_at=started,
        team_hint=labels.get("team"),
        muted=transition == "Muted",
    )]
