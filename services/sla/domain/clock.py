"""One SLA clock (a response or resolution target): running spans, pauses, completion, state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.sla.domain.calendar import Calendar

RUNNING, PAUSED, COMPLETED, CANCELLED = "running", "paused", "completed", "cancelled"
STATES = ("ok", "warning", "breached", "met", "met_late", "paused", "cancelled")


@dataclass
class Span:
    """An interval during which the clock ran; `end` is None while it still runs."""

    start: datetime
    end: datetime | None = None


@dataclass
class Clock:
    """Counts working time (per the calendar) while running; due when that reaches the target."""

    target: str
    cycle: int
    priority: str
    target_seconds: int
    warning_seconds: float
    started_at: datetime
    spans: list[Span] = field(default_factory=list)
    stage: str = RUNNING
    stopped_at: datetime | None = None
    outcome: str | None = None
    elapsed_at_stop: float | None = None
    due_at: datetime | None = None
    warning_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    version: int = 1

    @classmethod
    def start(cls, target: str, cycle: int, priority: str, target_seconds: int, warning_seconds: float,
              at: datetime, calendar: Calendar) -> Clock:
        clock = cls(target, cycle, priority, target_seconds, warning_seconds, at, [Span(at)])
        clock.refresh(calendar)
        return clock

    @property
    def is_open(self) -> bool:
        return self.stage in (RUNNING, PAUSED)

    # -- arithmetic ------------------------------------------------------------------------------
    def elapsed(self, calendar: Calendar, now: datetime) -> float:
        """Working seconds the clock has run up to `now` (pauses excluded)."""
        if self.elapsed_at_stop is not None:
            return self.elapsed_at_stop
        total = 0.0
        for span in self.spans:
            end = now if span.end is None else min(span.end, now)
            total += calendar.working_seconds(span.start, end)
        return total

    def instant_of(self, calendar: Calendar, seconds: float) -> datetime | None:
        """When the clock reaches `seconds` of elapsed time; None if it will not while paused or stopped."""
        remaining = seconds
        for span in self.spans:
            if span.end is None:
                return calendar.add(span.start, remaining)
            length = calendar.working_seconds(span.start, span.end)
            if remaining <= length:
                return calendar.add(span.start, remaining)
            remaining -= length
        return None

    def refresh(self, calendar: Calendar) -> None:
        """Recompute due and warning instants (the stored, indexed copies)."""
        self.due_at = self.instant_of(calendar, self.target_seconds)
        self.warning_at = self.instant_of(calendar, self.warning_seconds)

    # -- transitions (each bumps the version, so timers set before it do nothing) ----------------
    def pause(self, at: datetime, calendar: Calendar) -> bool:
        if self.stage != RUNNING:
            return False
        span = self.spans[-1]
        span.end = max(at, span.start)
        self.stage = PAUSED
        self._changed(calendar)
        return True

    def resume(self, at: datetime, calendar: Calendar) -> bool:
        if self.stage != PAUSED:
            return False
        self.spans.append(Span(max(at, self.spans[-1].end or at)))
        self.stage = RUNNING
        self._changed(calendar)
        return True

    def retarget(self, priority: str, target_seconds: int, warning_seconds: float, calendar: Calendar) -> bool:
        """Take a new priority's target, counted from the original start."""
        if not self.is_open or (priority, target_seconds, warning_seconds) == (
                self.priority, self.target_seconds, self.warning_seconds):
            return False
        self.priority, self.target_seconds, self.warning_seconds = priority, target_seconds, warning_seconds
        self._changed(calendar)
        return True

    def complete(self, at: datetime, calendar: Calendar) -> str:
        """Stop as met (or met_late) at `at`; return the outcome."""
        self._stop(at, calendar)
        self.stage = COMPLETED
        self.outcome = "met" if self.elapsed_at_stop <= self.target_seconds else "met_late"
        self._changed(calendar)
        return self.outcome

    def cancel(self, at: datetime, calendar: Calendar) -> None:
        self._stop(at, calendar)
        self.stage = CANCELLED
        self._changed(calendar)

    def _stop(self, at: datetime, calendar: Calendar) -> None:
        at = max(at, self.started_at)
        self.spans = [s for s in self.spans if s.start < at or s is self.spans[0]]
        last = self.spans[-1]
        last.end = at if last.end is None else min(last.end, at)
        if last.end < last.start:
            last.end = last.start
        self.stopped_at = at
        self.elapsed_at_stop = self.elapsed(calendar, at)

    def _changed(self, calendar: Calendar) -> None:
        self.version += 1
        self.refresh(calendar)

    # -- what it looks like now -----------------------------------------------------------------
    def state(self, calendar: Calendar, now: datetime) -> str:
        if self.stage == COMPLETED:
            return self.outcome or "met"
        if self.stage == CANCELLED:
            return "cancelled"
        elapsed = self.elapsed(calendar, now)
        if self.breached_at is not None or elapsed > self.target_seconds:
            return "breached"
        if self.stage == PAUSED:
            return "paused"
        if elapsed >= self.warning_seconds:
            return "warning"
        return "ok"

    def view(self, calendar: Calendar, now: datetime) -> dict:
        elapsed = self.elapsed(calendar, now)
        return {
            "target": self.target,
            "cycle": self.cycle,
            "priority": self.priority,
            "state": self.state(calendar, now),
            "target_seconds": self.target_seconds,
            "warning_seconds": self.warning_seconds,
            "started_at": self.started_at,
            "due_at": self.due_at,
            "warning_at": self.warning_at,
            "stopped_at": self.stopped_at,
            "elapsed_seconds": round(elapsed, 3),
            "remaining_seconds": round(max(0.0, self.target_seconds - elapsed), 3),
            "overdue_seconds": round(max(0.0, elapsed - self.target_seconds), 3),
            "paused": self.stage == PAUSED,
            "breached": self.breached_at is not None or elapsed > self.target_seconds,
            "warned_at": self.warned_at,
            "breached_at": self.breached_at,
            "version": self.version,
        }
