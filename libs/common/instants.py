"""Instants the API stores: aware, and within what PostgreSQL, SQLite and Python's datetime all hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields

# Python's datetime stops at year 9999 (PostgreSQL goes further, and then psycopg cannot read the row back);
# a margin of centuries on both sides leaves room for the arithmetic done on them (windows, SLA deadlines).
INSTANT_MIN = datetime(1900, 1, 1, tzinfo=UTC)
INSTANT_MAX = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "must lie between 1900-01-01T00:00:00Z and 9000-01-01T00:00:00Z"


def in_range(value: datetime) -> bool:
    """Whether an aware instant, taken to UTC, lies within [INSTANT_MIN, INSTANT_MAX)."""
    try:
        return INSTANT_MIN <= value.astimezone(UTC) < INSTANT_MAX
    except (OverflowError, ValueError):
        return False


class Instant(fields.AwareDateTime):
    """An aware ISO 8601 instant in the range every store holds (naive ones take `default_timezone`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not in_range(parsed):
            raise ValidationError(RANGE_MESSAGE)
        return parsed
