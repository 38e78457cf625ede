"""Questions about schedules: who is on call now and until when, the shifts in a range, the iCalendar feed."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from libs.common.errors import NotFound
from services.escalation.domain.schedule import Shift
from services.escalation.service_layer.unit_of_work import EscalationUnitOfWork


def who_is_on_call(uow: EscalationUnitOfWork, team: str | None, at: datetime) -> list[dict]:
    """Per schedule (of the team, or all): who is on call at `at` and until when."""
    with uow:
        found = uow.directory.schedules_of(team)
    items = []
    for row, schedule in found:
        now = schedule.on_call(at)
        if now is not None:
            items.append({"user": now.user, "schedule": row["id"], "schedule_name": row["name"],
                          "team": row["team"], "until": now.until})
    return items


def list_shifts(uow: EscalationUnitOfWork, ref: str, start: datetime, end: datetime) -> tuple[dict, list[Shift]]:
    """The schedule's row and its shifts in [start, end)."""
    with uow:
        found = uow.directory.schedule(ref)
    if found is None:
        raise NotFound(f"no schedule {ref}")
    row, schedule = found
    return row, schedule.shifts(start, end)


def shifts_ics(row: dict, shifts: list[Shift]) -> bytes:
    """The shifts as an iCalendar document: one event per shift, times in UTC."""
    cal = Calendar()
    cal.add("prodid", "-//Firebreak//escalation//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"On call: {row['name']}")
    for shift in shifts:
        event = Event()
        event.add("uid", f"{row['id']}-{int(shift.start.timestamp())}@firebreak")
        event.add("summary", f"On call: {shift.user}")
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("dtstamp", shift.start)
        event.add("attendee", f"urn:firebreak:user:{shift.user}")
        event.add("x-firebreak-user", shift.user)
        cal.add_component(event)
    return cal.to_ical()
