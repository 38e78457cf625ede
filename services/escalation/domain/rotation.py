"""One schedule layer's rotation: handoff instants and who holds each shift.

Daily and weekly handoffs keep the local wall-clock time of `start` in the schedule's zone, so a
DST change moves the UTC instant, not the handoff hour; `every_seconds` counts elapsed seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
PERIOD_DAYS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True)
class Layer:
    name: str
    participants: tuple[str, ...]
    rotation: str | int  # "daily", "weekly" or a number of seconds
    start: datetime  # the first handoff, timezone-aware
    end: datetime | None = None  # the layer has nobody from here on

    def handoff(self, zone: ZoneInfo, k: int) -> datetime:
        """The k-th handoff instant (UTC); k = 0 is `start`."""
        if isinstance(self.rotation, int):
            return self.start.astimezone(UTC) + timedelta(seconds=k * self.rotation)
        local = self.start.astimezone(zone).replace(tzinfo=None)
        wall = local + timedelta(days=k * PERIOD_DAYS[self.rotation])
        # A wall time in the spring-forward gap resolves forward (fold=0 then normalised), as Python does.
        return wall.replace(tzinfo=zone).astimezone(UTC)

    def _period(self) -> int:
        return self.rotation if isinstance(self.rotation, int) else PERIOD_DAYS[self.rotation] * DAY

    def index_at(self, zone: ZoneInfo, at: datetime) -> int | None:
        """Which shift (k) holds `at`, or None when the layer has nobody then."""
        if not self.participants or at < self.start or (self.end is not None and at >= self.end):
            return None
        k = int((at - self.start.astimezone(UTC)).total_seconds() // self._period())
        # DST can shift wall-clock handoffs by an hour either way: step to the right one.
        while k > 0 and self.handoff(zone, k) > at:
            k -= 1
        while self.handoff(zone, k + 1) <= at:
            k += 1
        return k

    def user_at(self, zone: ZoneInfo, at: datetime) -> str | None:
        k = self.index_at(zone, at)
        return None if k is None else self.participants[k % len(self.participants)]

    def next_change(self, zone: ZoneInfo, at: datetime) -> datetime | None:
        """The first instant after `at` where this layer's holder changes (or it starts or ends)."""
        if not self.participants:
            return None
        if at < self.start:
            return self.start.astimezone(UTC)
        if self.end is not None and at >= self.end:
            return None
        k = self.index_at(zone, at)
        nxt = self.handoff(zone, (k or 0) + 1)
        if self.end is not None and nxt > self.end:
            return self.end.astimezone(UTC)
        return nxt
