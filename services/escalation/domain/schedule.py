"""A schedule: layers (a higher one wins where it has someone) and overrides (win over all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.escalation.domain.rotation import Layer

MAX_STEPS = 10_000  # boundaries walked per question: a bound on work, not a limit anyone should meet


@dataclass(frozen=True)
class Override:
    user: str
    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Shift:
    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class OnCall:
    user: str
    until: datetime | None  # None: no change within the horizon looked at


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    layers: tuple[Layer, ...]  # in order: a later layer is higher and wins where it has someone
    overrides: tuple[Override, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def user_at(self, at: datetime) -> str | None:
        """Who is on call at `at`: the last override covering it, else the highest layer with someone."""
        at = at.astimezone(UTC)
        for override in reversed(self.overrides):
            if override.covers(at):
                return override.user
        zone = self.zone
        for layer in reversed(self.layers):
            user = layer.user_at(zone, at)
            if user is not None:
                return user
        return None

    def next_boundary(self, at: datetime) -> datetime | None:
        """The first instant after `at` where any layer or override changes."""
        zone = self.zone
        candidates = [layer.next_change(zone, at) for layer in self.layers]
        for override in self.overrides:
            candidates += [t for t in (override.start, override.end) if t > at]
        candidates = [c.astimezone(UTC) for c in candidates if c is not None and c > at]
        return min(candidates) if candidates else None

    def on_call(self, at: datetime) -> OnCall | None:
        """Who is on call at `at` and until when."""
        at = at.astimezone(UTC)
        user = self.user_at(at)
        if user is None:
            return None
        point = at
        for _ in range(MAX_STEPS):
            point = self.next_boundary(point)
            if point is None or self.user_at(point) != user:
                return OnCall(user, point)
        return OnCall(user, None)

    def shifts(self, start: datetime, end: datetime, limit: int = 1000) -> list[Shift]:
        """The shifts in [start, end), clipped to it; adjacent spans of one user are one shift."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        out: list[Shift] = []
        point, user = start, self.user_at(start)
        budget = MAX_STEPS * 10  # boundaries walked in all; a one-person minute rotation has many
        while point < end and len(out) < limit and budget > 0:
            nxt = self.next_boundary(point)
            while nxt is not None and nxt < end and self.user_at(nxt) == user and budget > 0:
                nxt, budget = self.next_boundary(nxt), budget - 1
            stop = end if nxt is None or nxt > end else nxt
            if user is not None:
                out.append(Shift(user, point, stop))
            if nxt is None:
                break
            point, user = stop, self.user_at(stop)
        return out
