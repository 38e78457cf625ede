"""On-call maths with a fake clock: handoffs, layers, overrides, time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from libs.common.clock import FakeClock
from services.escalation.domain.rotation import Layer
from services.escalation.domain.schedule import Override, Schedule

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_handoffs_rotate_through_participants():
    layer = Layer("primary", ("ann", "bob", "cat"), "daily", utc(2026, 1, 5, 9))
    schedule = Schedule("UTC", (layer,))
    clock = FakeClock(utc(2026, 1, 5, 8, 59))
    assert schedule.user_at(clock.now()) is None  # before the layer starts
    clock.advance(60)
    assert schedule.on_call(clock.now()).user == "ann"
    assert schedule.on_call(clock.now()).until == utc(2026, 1, 6, 9)
    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    assert schedule.user_at(clock.now()) == "ann"
    clock.advance(1)
    assert schedule.user_at(clock.now()) == "bob"
    clock.advance(timedelta(days=2))
    assert schedule.user_at(clock.now()) == "ann"


def test_weekly_and_every_seconds_rotations():
    weekly = Schedule("UTC", (Layer("w", ("ann", "bob"), "weekly", utc(2026, 1, 5, 9)),))
    assert weekly.user_at(utc(2026, 1, 12, 8, 59)) == "ann"
    assert weekly.user_at(utc(2026, 1, 12, 9)) == "bob"
    assert weekly.on_call(utc(2026, 1, 13)).until == utc(2026, 1, 19, 9)
    fast = Schedule("UTC", (Layer("f", ("ann", "bob"), 3600, utc(2026, 1, 5, 9)),))
    assert [fast.user_at(utc(2026, 1, 5, 9 + h, 30)) for h in range(4)] == ["ann", "bob", "ann", "bob"]


def test_dst_handoffs_stay_at_local_wall_clock_time():
    # Berlin goes from UTC+1 to UTC+2 on 2026-03-29 and back on 2026-10-25.
    layer = Layer("primary", ("ann", "bob"), "daily", datetime(2026, 3, 27, 9, tzinfo=BERLIN))
    schedule = Schedule("Europe/Berlin", (layer,))
    shifts = schedule.shifts(utc(2026, 3, 27, 8), utc(2026, 3, 31, 7))
    assert [(s.user, s.start.astimezone(BERLIN).hour) for s in shifts] == [
        ("ann", 9), ("bob", 9), ("ann", 9), ("bob", 9)]
    assert [s.start for s in shifts] == [utc(2026, 3, 27, 8), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7),
                                         utc(2026, 3, 30, 7)]
    assert shifts[1].end - shifts[1].start == timedelta(hours=23)  # the short night
    clock = FakeClock(utc(2026, 3, 29, 6, 59))
    assert schedule.user_at(clock.now()) == "bob"
    clock.advance(60)  # 09:00 Berlin summer time
    assert schedule.user_at(clock.now()) == "ann"
    autumn = schedule.shifts(utc(2026, 10, 24, 7), utc(2026, 10, 26, 8))
    assert [s.start.astimezone(BERLIN).hour for s in autumn] == [9, 9]
    assert [s.end - s.start for s in autumn] == [timedelta(hours=25), timedelta(hours=24)]  # the long night


def test_a_handoff_in_the_spring_gap_moves_forward():
    layer = Layer("night", ("ann", "bob"), "daily", datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN))
    schedule = Schedule("Europe/Berlin", (layer,))
    # 02:30 does not exist on 2026-03-29 in Berlin: the handoff is at 03:30 summer time (01:30 UTC).
    assert schedule.user_at(utc(2026, 3, 29, 1, 29)) == "ann"
    assert schedule.user_at(utc(2026, 3, 29, 1, 30)) == "bob"


def test_time_zones_anchor_handoffs_locally():
    tokyo = Schedule("Asia/Tokyo", (Layer("l", ("ann", "bob"), "daily",
                                          datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Tokyo"))),))
    assert tokyo.user_at(utc(2026, 1, 5, 23, 59)) == "ann"
    assert tokyo.user_at(utc(2026, 1, 6, 0)) == "bob"  # 09:00 in Tokyo


def test_a_higher_layer_wins_where_it_has_someone():
    base = Layer("base", ("ann", "bob"), "weekly", utc(2026, 1, 5, 9))
    holiday = Layer("holiday", ("cat",), "daily", utc(2026, 1, 7, 0), end=utc(2026, 1, 9, 0))
    schedule = Schedule("UTC", (base, holiday))
    assert schedule.user_at(utc(2026, 1, 6, 12)) == "ann"
    assert schedule.user_at(utc(2026, 1, 8, 12)) == "cat"
    assert schedule.user_at(utc(2026, 1, 9, 0)) == "ann"
    assert schedule.on_call(utc(2026, 1, 6, 12)).until == utc(2026, 1, 7)
    shifts = schedule.shifts(utc(2026, 1, 6), utc(2026, 1, 13))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("ann", utc(2026, 1, 6), utc(2026, 1, 7)), ("cat", utc(2026, 1, 7), utc(2026, 1, 9)),
        ("ann", utc(2026, 1, 9), utc(2026, 1, 12, 9)), ("bob", utc(2026, 1, 12, 9), utc(2026, 1, 13))]


def test_overrides_win_over_all_layers():
    base = Layer("base", ("ann",), "daily", utc(2026, 1, 1))
    top = Layer("top", ("bob",), "daily", utc(2026, 1, 1))
    schedule = Schedule("UTC", (base, top), (Override("dan", utc(2026, 1, 2, 10), utc(2026, 1, 2, 14)),))
    assert schedule.user_at(utc(2026, 1, 2, 9)) == "bob"
    assert schedule.on_call(utc(2026, 1, 2, 9)).until == utc(2026, 1, 2, 10)
    now = schedule.on_call(utc(2026, 1, 2, 11))
    assert (now.user, now.until) == ("dan", utc(2026, 1, 2, 14))
    assert schedule.user_at(utc(2026, 1, 2, 14)) == "bob"


def test_a_schedule_with_nobody_has_no_shifts():
    schedule = Schedule("UTC", (Layer("later", ("ann",), "daily", utc(2030, 1, 1)),))
    assert schedule.on_call(utc(2026, 1, 1)) is None
    assert schedule.shifts(utc(2026, 1, 1), utc(2026, 2, 1)) == []
