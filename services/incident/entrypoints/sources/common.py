"""Helpers shared by the sender formats."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from marshmallow import INCLUDE, Schema, fields

from libs.common.instants import in_range

ZERO_TIME = "0001-01-01T00:00:00Z"


class Lenient(Schema):
    """Senders add fields over time: keep what we don't know."""

    class Meta:
        unknown = INCLUDE


StrDict = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)


def text_labels(value: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def parse_time(value: str | None) -> datetime | None:
    if not value or value == ZERO_TIME:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    # A sender's clock beyond what the stores hold is no start time at all, not a row nobody can read back.
    return parsed if in_range(parsed) else None


def title_from(labels: dict[str, str], annotations: dict[str, str], fallback: str) -> str:
    name = labels.get("alertname")
    summary = annotations.get("summary") or annotations.get("title")
    if name and summary:
        return f"{name}: {summary}"
    return summary or name or fallback
