"""The clock seam: handlers, schedulers and domain code take "now" from an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime):
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float | timedelta) -> None:
        """Move forward by seconds (or a timedelta)."""
        step = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        self._now = self._now + step

    def set(self, when: datetime) -> None:
        """Jump to an instant (backwards too)."""
        self._now = _aware(when)

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("a clock instant must be timezone-aware")
    return when.astimezone(UTC)
