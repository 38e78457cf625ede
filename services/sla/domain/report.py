"""SLA compliance figures: counts, compliance and nearest-rank percentiles of measured times."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

PERCENTILES = (50, 90, 95, 99)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    if not sorted_values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


@dataclass(frozen=True)
class ClockResult:
    """One clock as a report counts it."""

    target: str
    priority: str
    outcome: str | None  # met, met_late or None (still open or cancelled)
    breached: bool  # a breach was announced
    cancelled: bool
    elapsed_seconds: float | None  # at completion


def classify(result: ClockResult) -> str:
    """met, breached, in_progress or cancelled."""
    if result.outcome == "met":
        return "met"
    if result.outcome == "met_late" or result.breached:
        return "breached"
    return "cancelled" if result.cancelled else "in_progress"


def summarize(results: Iterable[ClockResult]) -> dict:
    """Counts and times for one target; compliance = met / (met + breached), in percent."""
    counts = {"met": 0, "breached": 0, "met_late": 0, "in_progress": 0, "cancelled": 0}
    times: list[float] = []
    total = 0
    for result in results:
        total += 1
        counts[classify(result)] += 1
        if result.outcome == "met_late":
            counts["met_late"] += 1
        if result.outcome is not None and result.elapsed_seconds is not None:
            times.append(result.elapsed_seconds)
    times.sort()
    decided = counts["met"] + counts["breached"]
    return {
        "total": total,
        **counts,
        "compliance_percent": round(100.0 * counts["met"] / decided, 2) if decided else None,
        "time_seconds": {
            "count": len(times),
            "mean": round(sum(times) / len(times), 3) if times else None,
            **{f"p{p}": percentile(times, p) for p in PERCENTILES},
            "max": times[-1] if times else None,
        },
    }
