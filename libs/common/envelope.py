"""The CloudEvents 1.0 envelope, carried on AMQP 0-9-1 in binary mode as `ce-` headers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_REQUIRED = ("specversion", "id", "source", "type")


class EnvelopeError(ValueError):
    """A message is not a valid Firebreak CloudEvent."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime (SQLite returns them); every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    """One fact, as it travels between services."""

    type: str
    source: str
    data: dict[str, Any]
    subject: str | None = None
    sequence: int | None = None
    correlation_id: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)

    def headers(self) -> dict[str, str]:
        headers = {
            "ce-specversion": SPECVERSION,
            "ce-id": self.id,
            "ce-source": self.source,
            "ce-type": self.type,
            "ce-time": self.time.isoformat().replace("+00:00", "Z"),
        }
        if self.subject is not None:
            headers["ce-subject"] = self.subject
        if self.sequence is not None:
            headers["ce-sequence"] = str(self.sequence)
        if self.correlation_id:
            headers["ce-correlationid"] = self.correlation_id
        return headers

    def body(self) -> str:
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True, default=str)

    @classmethod
    def from_message(cls, headers: dict[str, Any] | None, body: bytes | str) -> Event:
        """Parse a binary-mode message; raise EnvelopeError naming what is wrong."""
        headers = headers or {}
        attrs = {k[3:]: _text(v) for k, v in headers.items() if isinstance(k, str) and k.startswith("ce-")}
        missing = [name for name in _REQUIRED if not attrs.get(name)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents attribute(s): {', '.join('ce-' + m for m in missing)}")
        if attrs["specversion"] != SPECVERSION:
            raise EnvelopeError(f"unsupported ce-specversion {attrs['specversion']!r}")
        try:
            data = json.loads(body)
        except (TypeError, ValueError) as exc:
            raise EnvelopeError(f"body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise EnvelopeError("body must be a JSON object")
        try:
            sequence = int(attrs["sequence"]) if attrs.get("sequence") else None
            time = datetime.fromisoformat(attrs["time"]) if attrs.get("time") else utcnow()
        except ValueError as exc:
            raise EnvelopeError(f"bad attribute: {exc}") from None
        return cls(
            type=attrs["type"],
            source=attrs["source"],
            data=data,
            subject=attrs.get("subject"),
            sequence=sequence,
            correlation_id=attrs.get("correlationid"),
            id=attrs["id"],
            time=time,
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
