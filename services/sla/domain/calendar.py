"""Working-time calendars: which instants count towards an SLA, and arithmetic over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 86_400
# How far ahead add() looks for working time before it gives up (ten years of days).
MAX_DAYS = 3_660

Interval = tuple[datetime, datetime]


class CalendarError(ValueError):
    """A calendar cannot answer: it has no working time in reach."""


@dataclass(frozen=True)
class Window:
    """Working hours on some weekdays: [start, end) seconds after local midnight (end may be 86400)."""

    days: frozenset[int]
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_SECONDS:
            raise ValueError(f"window must satisfy 0 <= start < end <= 24:00, got {self.start}..{self.end}")
        if not self.days or not all(0 <= d <= 6 for d in self.days):
            raise ValueError("window days must be weekday numbers 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True)
class Calendar:
    """24x7 when it has no windows; otherwise working windows in a time zone, minus holidays."""

    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def always(self) -> bool:
        return not self.windows

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day_intervals(self, day: date) -> list[Interval]:
        """The working intervals of one local day, in UTC, sorted and merged."""
        if day in self.holidays:
            return []
        weekday = day.weekday()
        spans = sorted((w.start, w.end) for w in self.windows if weekday in w.days)
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        zone = self.zone
        midnight = datetime.combine(day, time())
        out = []
        for start, end in merged:
            a = (midnight + timedelta(seconds=start)).replace(tzinfo=zone).astimezone(UTC)
            b = (midnight + timedelta(seconds=end)).replace(tzinfo=zone).astimezone(UTC)
            if b > a:
                out.append((a, b))
        return out

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); 0 when end is not after start."""
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds()
        total = 0.0
        day = self._local_date(start) - timedelta(days=1)
        last = self._local_date(end) + timedelta(days=1)
        while day <= last:
            for a, b in self.day_intervals(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of working time have passed since `start`."""
        if seconds <= 0:
            return start
        if self.always:
            return start + timedelta(seconds=seconds)
        remaining = seconds
        day = self._local_date(start) - timedelta(days=1)
        for _ in range(MAX_DAYS):
            for a, b in self.day_intervals(day):
                if b <= start:
                    continue
                a = max(a, start)
                length = (b - a).total_seconds()
                if remaining <= length:
                    return a + timedelta(seconds=remaining)
                remaining -= length
            day += timedelta(days=1)
        raise CalendarError(f"no {seconds:g} s of working time within {MAX_DAYS} days of {start.isoformat()}")

    def is_working(self, instant: datetime) -> bool:
        if self.always:
            return True
        day = self._local_date(instant)
        return any(a <= instant < b for d in (day - timedelta(days=1), day) for a, b in self.day_intervals(d))

    # -- (de)serialisation of the snapshot kept on each incident's SLA record ----------------------
    def to_dict(self) -> dict:
        return {
            "timezone": self.timezone,
            "windows": [{"days": sorted(w.days), "start": w.start, "end": w.end} for w in self.windows],
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Calendar:
        if not data:
            return ALWAYS
        return cls(
            timezone=data.get("timezone") or "UTC",
            windows=tuple(Window(frozenset(w["days"]), int(w["start"]), int(w["end"]))
                          for w in data.get("windows") or ()),
            holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays") or ()),
        )


ALWAYS = Calendar()


def parse_clock_time(text: str) -> int:
    """'HH:MM' (or 'HH:MM:SS', '24:00') as seconds after midnight."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"expected HH:MM, got {text!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    value = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or value > DAY_SECONDS:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def format_clock_time(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
