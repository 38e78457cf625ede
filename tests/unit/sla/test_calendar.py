"""Calendar arithmetic: working time across nights, weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.sla.domain.calendar import (
    ALWAYS,
    Calendar,
    CalendarError,
    Window,
    format_clock_time,
    parse_clock_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
H = 3600


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def office(zone: str = "Europe/Berlin", holidays=()) -> Calendar:
    """Monday to Friday, 09:00 to 17:00."""
    return Calendar(zone, (Window(WEEKDAYS, 9 * H, 17 * H),), frozenset(holidays))


def whole_days(zone: str, holidays=()) -> Calendar:
    """Every local day, midnight to midnight: a day lasts as long as the clocks say (23 h, 24 h, 25 h)."""
    return Calendar(zone, (Window(frozenset(range(7)), 0, 86_400),), frozenset(holidays))


def test_24x7_counts_every_second():
    start = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
    assert ALWAYS.add(start, 3 * H) == start + timedelta(hours=3)
    assert ALWAYS.working_seconds(start, start + timedelta(days=3)) == 3 * 86_400
    assert ALWAYS.working_seconds(start, start - timedelta(seconds=1)) == 0


def test_within_one_working_day():
    cal = office()
    start = local(BERLIN, 2026, 3, 3, 10, 0)  # Tuesday
    assert cal.add(start, 2 * H) == local(BERLIN, 2026, 3, 3, 12, 0)
    assert cal.working_seconds(start, local(BERLIN, 2026, 3, 3, 12, 0)) == 2 * H


def test_across_a_night():
    cal = office()
    start = local(BERLIN, 2026, 3, 3, 16, 0)  # Tuesday, 1 h before closing
    due = cal.add(start, 3 * H)
    assert due == local(BERLIN, 2026, 3, 4, 11, 0)
    assert cal.working_seconds(start, due) == 3 * H


def test_started_before_opening_counts_from_opening():
    cal = office()
    assert cal.add(local(BERLIN, 2026, 3, 3, 6, 30), H) == local(BERLIN, 2026, 3, 3, 10, 0)
    assert cal.working_seconds(local(BERLIN, 2026, 3, 3, 6, 30), local(BERLIN, 2026, 3, 3, 9, 30)) == 1800


def test_across_a_weekend():
    cal = office()
    friday = local(BERLIN, 2026, 3, 6, 16, 0)
    assert cal.add(friday, 2 * H) == local(BERLIN, 2026, 3, 9, 10, 0)  # Monday
    saturday = local(BERLIN, 2026, 3, 7, 12, 0)
    assert cal.add(saturday, 30 * 60) == local(BERLIN, 2026, 3, 9, 9, 30)
    assert cal.working_seconds(saturday, local(BERLIN, 2026, 3, 8, 23, 0)) == 0


def test_exactly_at_closing_rolls_to_next_opening_only_past_the_end():
    cal = office()
    start = local(BERLIN, 2026, 3, 3, 9, 0)
    assert cal.add(start, 8 * H) == local(BERLIN, 2026, 3, 3, 17, 0)
    assert cal.add(start, 8 * H + 1) == local(BERLIN, 2026, 3, 4, 9, 0, 1)


def test_holidays_are_skipped():
    cal = office(holidays=[date(2026, 12, 24), date(2026, 12, 25)])
    start = local(BERLIN, 2026, 12, 23, 16, 0)  # Wednesday; Thursday and Friday are holidays
    assert cal.add(start, 2 * H) == local(BERLIN, 2026, 12, 28, 10, 0)  # the Monday after
    assert cal.working_seconds(start, local(BERLIN, 2026, 12, 28, 10, 0)) == 2 * H
    assert not cal.is_working(local(BERLIN, 2026, 12, 24, 10, 0))
    assert cal.is_working(local(BERLIN, 2026, 12, 23, 10, 0))


def test_several_windows_a_day_and_saturday_hours():
    cal = Calendar("UTC", (Window(WEEKDAYS, 9 * H, 12 * H), Window(WEEKDAYS, 13 * H, 17 * H),
                           Window(frozenset({5}), 10 * H, 14 * H)))
    start = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)  # Friday
    assert cal.add(start, 2 * H) == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # lunch skipped
    assert cal.add(start, 8 * H) == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 1 + 4 on Friday, 3 on Saturday
    assert cal.working_seconds(start, datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) == 5 * H + 4 * H


def test_overlapping_windows_count_once():
    cal = Calendar("UTC", (Window(WEEKDAYS, 9 * H, 13 * H), Window(WEEKDAYS, 12 * H, 17 * H)))
    day = datetime(2026, 3, 3, tzinfo=UTC)
    assert cal.working_seconds(day, day + timedelta(days=1)) == 8 * H


def test_spring_forward_day_is_23_hours_long():
    cal = whole_days("Europe/Berlin")
    sunday = local(BERLIN, 2026, 3, 29, 0, 0)  # 02:00 CET -> 03:00 CEST
    monday = local(BERLIN, 2026, 3, 30, 0, 0)
    assert cal.working_seconds(sunday, monday) == 23 * H
    assert cal.add(sunday, 23 * H) == monday


def test_fall_back_day_is_25_hours_long():
    cal = whole_days("Europe/Berlin")
    sunday = local(BERLIN, 2026, 10, 25, 0, 0)  # 03:00 CEST -> 02:00 CET
    monday = local(BERLIN, 2026, 10, 26, 0, 0)
    assert cal.working_seconds(sunday, monday) == 25 * H


def test_business_hours_stay_on_local_time_across_dst():
    cal = office("America/New_York")
    friday = local(NEW_YORK, 2026, 3, 6, 16, 0)  # EST; DST starts Sunday 8 March
    due = cal.add(friday, 2 * H)
    assert due.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 9, 10, 0)
    assert due.utcoffset() is not None
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # EDT is UTC-4
    assert cal.working_seconds(friday, due) == 2 * H


def test_holiday_on_the_dst_weekend_and_a_week_of_working_time():
    cal = office("Europe/Berlin", holidays=[date(2026, 3, 30)])
    start = local(BERLIN, 2026, 3, 27, 9, 0)  # Friday before the change; Monday a holiday
    due = cal.add(start, 5 * 8 * H)
    assert due == local(BERLIN, 2026, 4, 3, 17, 0)  # Fri, (Mon off) Tue, Wed, Thu, Fri: closing time, in CEST
    assert due == datetime(2026, 4, 3, 15, 0, tzinfo=UTC)
    assert cal.working_seconds(start, due) == 40 * H


def test_window_starting_in_the_spring_gap_shifts_forward_by_the_gap():
    # 02:30 does not exist on 29 March 2026 in Berlin; like Java and Python it is read as 03:30 CEST.
    cal = Calendar("Europe/Berlin", (Window(frozenset({6}), int(2.5 * H), 4 * H),))
    [(start, end)] = cal.day_intervals(date(2026, 3, 29))
    assert start == local(BERLIN, 2026, 3, 29, 3, 30)
    assert end == local(BERLIN, 2026, 3, 29, 4, 0)


def test_window_in_the_repeated_hour_counts_both_hours():
    cal = Calendar("Europe/Berlin", (Window(frozenset({6}), 2 * H, 3 * H),))
    [(start, end)] = cal.day_intervals(date(2026, 10, 25))
    assert (end - start) == timedelta(hours=2)


def test_calendar_without_working_time_gives_up():
    cal = Calendar("UTC", (Window(frozenset({0}), 0, H),),
                   frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(600)))
    with pytest.raises(CalendarError):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), 2 * H)


def test_snapshot_round_trip():
    cal = office("Asia/Kolkata", holidays=[date(2026, 1, 26)])
    assert Calendar.from_dict(cal.to_dict()) == cal
    assert Calendar.from_dict(None) is ALWAYS


@pytest.mark.parametrize("text, seconds", [("09:00", 9 * H), ("24:00", 86_400), ("17:30:15", 17 * H + 1815)])
def test_clock_times(text, seconds):
    assert parse_clock_time(text) == seconds
    assert format_clock_time(seconds) == text


@pytest.mark.parametrize("text", ["9:00", "25:00", "12:60", "noon", "24:01"])
def test_bad_clock_times(text):
    with pytest.raises(ValueError):
        parse_clock_time(text)


def test_window_rejects_empty_or_inverted():
    with pytest.raises(ValueError):
        Window(WEEKDAYS, 17 * H, 9 * H)
    with pytest.raises(ValueError):
        Window(frozenset(), 9 * H, 17 * H)
