"""Instants and durations: parsing, merged impact windows, key times and the durations between them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def instant(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string or datetime (naive means UTC); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def format_instant(value: Any) -> str:
    """An instant as 2026-03-01 10:00:00 UTC; "n/a" when unknown."""
    moment = instant(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "n/a"


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def merge_windows(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching windows joined, in time order."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total_seconds(windows: list[tuple[datetime, datetime]]) -> float:
    """Time covered by at least one window (overlaps count once)."""
    return sum((end - start).total_seconds() for start, end in merge_windows(windows))


def key_times(incident: dict[str, Any], marks: dict[str, Any]) -> dict[str, datetime | None]:
    """Detected (declared), acknowledged, stable (mitigated) and resolved instants."""
    return {
        "detected": instant(incident.get("created_at")),
        "acknowledged": instant(incident.get("acknowledged_at")),
        "stable": instant(marks.get("stable_at")),
        "resolved": instant(incident.get("resolved_at")),
    }


def durations(times: dict[str, datetime | None]) -> dict[str, float | None]:
    """Time to acknowledge, to mitigate (stable, else resolved) and to resolve, from detection, in seconds."""
    detected = times["detected"]
    mitigated = times["stable"] or times["resolved"]
    return {
        "time_to_acknowledge": seconds_between(detected, times["acknowledged"]),
        "time_to_mitigate": seconds_between(detected, mitigated),
        "time_to_resolve": seconds_between(detected, times["resolved"]),
    }


def format_duration(seconds: float | None) -> str:
    """Readable duration: 2d 3h 04m, 1h 05m 30s, 4m 10s, 12s; "n/a" when unknown."""
    if seconds is None:
        return "n/a"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
