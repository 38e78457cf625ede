"""When a message goes out: per-method delays, quiet hours holding non-critical messages, digest windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class QuietHours:
    """A daily local window [start, end) in an IANA zone; end <= start spans midnight."""

    start: time
    end: time
    timezone: str = "UTC"

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> QuietHours | None:
        """From `{"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}`; None if not set."""
        if not data:
            return None
        zone = data.get("timezone") or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return cls(time.fromisoformat(data["start"]), time.fromisoformat(data["end"]), zone)

    def held_until(self, now: datetime) -> datetime | None:
        """The instant the window ends if `now` falls inside it, else None."""
        if self.start == self.end:
            return None
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        today = local.date()
        for day in (today - timedelta(days=1), today):
            begin = datetime.combine(day, self.start, zone)
            end_day = day if self.end > self.start else day + timedelta(days=1)
            end = datetime.combine(end_day, self.end, zone)
            if begin <= local < end:
                return end.astimezone(now.tzinfo)
        return None


def is_critical(category: str, incident: dict[str, Any]) -> bool:
    """Pages, and anything about a critical-priority or critical-severity incident, are never held."""
    return category == "page" or incident.get("priority") == "critical" or incident.get("severity") == "critical"


def due_at(now: datetime, delay_seconds: float = 0, quiet: QuietHours | None = None,
           critical: bool = True) -> datetime:
    """When a message should go: after its delay, and after quiet hours unless it is critical."""
    due = now + timedelta(seconds=max(0.0, delay_seconds))
    if quiet is not None and not critical:
        held = quiet.held_until(due)
        if held is not None:
            return held
    return due


def digest_due(now: datetime, last_due: datetime | None, window_seconds: float) -> datetime:
    """Now, unless the last update to this recipient and incident went within the window: then when it closes."""
    if last_due is None or window_seconds <= 0:
        return now
    return max(now, last_due + timedelta(seconds=window_seconds))
