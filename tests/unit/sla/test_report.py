"""Report arithmetic: nearest-rank percentiles, compliance = met / (met + breached)."""

from __future__ import annotations

import pytest

from services.sla.domain.report import ClockResult, percentile, summarize


@pytest.mark.parametrize("p, expected", [(50, 50), (90, 90), (95, 95), (99, 99), (100, 100), (1, 1), (0.5, 1)])
def test_nearest_rank_percentile_of_1_to_100(p, expected):
    assert percentile([float(v) for v in range(1, 101)], p) == expected


def test_nearest_rank_on_few_values():
    values = [15.0, 20.0, 35.0, 40.0, 50.0]  # the textbook example
    assert percentile(values, 30) == 20
    assert percentile(values, 40) == 20
    assert percentile(values, 50) == 35
    assert percentile(values, 100) == 50
    assert percentile([], 50) is None


def test_summary_counts_and_compliance():
    results = [
        ClockResult("response", "high", "met", False, False, 10.0),
        ClockResult("response", "high", "met", False, False, 30.0),
        ClockResult("response", "high", "met", False, False, 20.0),
        ClockResult("response", "high", "met_late", True, False, 300.0),
        ClockResult("response", "high", None, True, False, None),  # breached, still open
        ClockResult("response", "high", None, True, True, None),  # breached, then closed
        ClockResult("response", "high", None, False, False, None),  # running
        ClockResult("response", "high", None, False, True, None),  # cancelled in time
    ]
    summary = summarize(results)
    assert summary["total"] == 8
    assert (summary["met"], summary["breached"], summary["met_late"]) == (3, 3, 1)
    assert (summary["in_progress"], summary["cancelled"]) == (1, 1)
    assert summary["compliance_percent"] == 50.0
    times = summary["time_seconds"]
    assert times["count"] == 4 and times["mean"] == 90.0
    assert (times["p50"], times["p90"], times["max"]) == (20.0, 300.0, 300.0)


def test_empty_summary_has_no_compliance():
    summary = summarize([])
    assert summary["compliance_percent"] is None and summary["time_seconds"]["mean"] is None
