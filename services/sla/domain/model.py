"""An incident's SLA: its response and resolution clocks, driven by the incident's snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.sla.domain.clock import RUNNING, Clock
from services.sla.domain.policy import TARGETS, AppliedPolicy

WARNING, BREACHED, MET = "warning", "breached", "met"
TIMER_KINDS = {WARNING: "sla.warning", BREACHED: "sla.breach"}


@dataclass(frozen=True)
class IncidentFacts:
    """What the SLA reads from an incident event's snapshot."""

    id: str
    priority: str
    status: str
    created_at: datetime
    reference: str = ""
    title: str = ""
    team: str | None = None
    incident_type: str | None = None
    private: bool = False
    acknowledged_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    occurred_at: datetime | None = None
    sequence: int | None = None

    @property
    def first_response(self) -> datetime | None:
        """Acknowledged or work started, whichever came first; a resolve counts if neither did."""
        responses = [t for t in (self.acknowledged_at, self.started_at) if t is not None]
        if responses:
            return min(responses)
        return self.resolved_at


@dataclass(frozen=True)
class Announcement:
    """An SLA event to publish: warning, breached or met (with outcome met or met_late)."""

    kind: str
    sequence: int
    data: dict[str, Any]


@dataclass(frozen=True)
class TimerPlan:
    """The timer one clock should have now: due_at None means none."""

    kind: str
    key: str
    due_at: datetime | None
    payload: dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class IncidentSla:
    incident_id: str
    reference: str
    title: str
    priority: str
    status: str
    team: str | None
    incident_type: str | None
    private: bool
    created_at: datetime
    policy: AppliedPolicy
    clocks: list[Clock] = field(default_factory=list)
    sequence: int = 0
    sla_sequence: int = 0
    announcements: list[Announcement] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(cls, facts: IncidentFacts, policy: AppliedPolicy, now: datetime) -> IncidentSla:
        """Start both clocks at the incident's creation, then catch up with the snapshot."""
        sla = cls(facts.id, facts.reference, facts.title, facts.priority, "new", facts.team, facts.incident_type,
                  facts.private, facts.created_at, policy)
        for target in TARGETS:
            sla.clocks.append(sla._new_clock(target, 1, facts.created_at))
        sla.apply(facts, now)
        return sla

    @property
    def calendar(self):
        return self.policy.calendar

    def _new_clock(self, target: str, cycle: int, at: datetime) -> Clock:
        return Clock.start(target, cycle, self.priority, self.policy.target_seconds(self.priority, target),
                           self.policy.warning_seconds(self.priority, target), at, self.calendar)

    def current(self, target: str) -> Clock:
        return max((c for c in self.clocks if c.target == target), key=lambda c: c.cycle)

    def clock(self, target: str, cycle: int) -> Clock | None:
        return next((c for c in self.clocks if c.target == target and c.cycle == cycle), None)

    def open_clocks(self) -> list[Clock]:
        return [c for c in (self.current(t) for t in TARGETS) if c.is_open]

    # -- incident facts --------------------------------------------------------------------------
    def apply(self, facts: IncidentFacts, now: datetime) -> bool:
        """Bring the clocks in line with a snapshot; False (and no change) if it is older than one applied."""
        if facts.sequence is not None and facts.sequence <= self.sequence:
            return False
        at = facts.occurred_at or now
        cal = self.calendar
        self.reference, self.title, self.private = facts.reference or self.reference, facts.title, facts.private
        self.team, self.incident_type = facts.team, facts.incident_type
        if facts.priority != self.priority:
            self.priority = facts.priority
            for clock in self.open_clocks():
                clock.retarget(self.priority, self.policy.target_seconds(self.priority, clock.target),
                               self.policy.warning_seconds(self.priority, clock.target), cal)
        response = self.current("response")
        if response.is_open and facts.first_response is not None:
            self._complete(response, facts.first_response, now)
        resolution = self.current("resolution")
        if resolution.is_open and facts.resolved_at is not None and facts.resolved_at >= resolution.started_at:
            self._complete(resolution, facts.resolved_at, now)
        if (facts.reopened_at is not None and not resolution.is_open
                and facts.reopened_at > (resolution.stopped_at or resolution.started_at)):
            resolution = self._new_clock("resolution", resolution.cycle + 1, facts.reopened_at)
            self.clocks.append(resolution)
            if facts.resolved_at is not None and facts.resolved_at > facts.reopened_at:
                self._complete(resolution, facts.resolved_at, now)
        if facts.status == "closed":
            for clock in self.open_clocks():
                clock.cancel(facts.closed_at or at, cal)
        elif self.policy.pause_on_hold:
            for clock in self.open_clocks():
                if facts.status == "on_hold":
                    clock.pause(at, cal)
                else:
                    clock.resume(at, cal)
        self.status = facts.status
        if facts.sequence is not None:
            self.sequence = facts.sequence
        return True

    def _complete(self, clock: Clock, at: datetime, now: datetime) -> None:
        outcome = clock.complete(at, self.calendar)
        if outcome == "met_late" and clock.breached_at is None:
            # The breach came before its timer could announce it (e.g. events arrived late): say so first.
            clock.breached_at = clock.due_at
            self._announce(BREACHED, clock, now)
        self._announce(MET, clock, now)

    # -- timers ----------------------------------------------------------------------------------
    def fire(self, kind: str, target: str, cycle: int, version: int, now: datetime) -> bool:
        """A warning or breach timer came due; announce it unless the clock has moved on since."""
        clock = self.clock(target, cycle)
        if clock is None or clock.version != version or clock.stage != RUNNING or clock.breached_at is not None:
            return False
        if kind == BREACHED:
            clock.breached_at = clock.due_at or now
            self._announce(BREACHED, clock, now)
            return True
        if clock.warned_at is not None or clock.elapsed(self.calendar, now) > clock.target_seconds:
            return False  # the breach timer speaks for it
        clock.warned_at = clock.warning_at or now
        self._announce(WARNING, clock, now)
        return True

    def timer_plan(self) -> list[TimerPlan]:
        """The warning and breach timers the current clocks need (due None: cancel)."""
        plans = []
        for target in TARGETS:
            clock = self.current(target)
            running = clock.stage == RUNNING and clock.breached_at is None
            payload = {"incident_id": self.incident_id, "target": target, "cycle": clock.cycle,
                       "version": clock.version}
            key = f"{self.incident_id}/{target}"
            warn = clock.warning_at if running and clock.warned_at is None else None
            plans.append(TimerPlan(TIMER_KINDS[WARNING], key, warn, payload))
            plans.append(TimerPlan(TIMER_KINDS[BREACHED], key, clock.due_at if running else None, payload))
        return plans

    # -- announcements ---------------------------------------------------------------------------
    def _announce(self, kind: str, clock: Clock, now: datetime) -> None:
        self.sla_sequence += 1
        at = clock.stopped_at if kind == MET else now
        elapsed = clock.elapsed(self.calendar, at)
        data: dict[str, Any] = {
            "incident_id": self.incident_id,
            "reference": self.reference,
            "target": clock.target,
            "cycle": clock.cycle,
            "priority": clock.priority,
            "team": self.team,
            "incident_type": self.incident_type,
            "policy_id": self.policy.policy_id,
            "policy_name": self.policy.name,
            "target_seconds": clock.target_seconds,
            "started_at": _iso(clock.started_at),
            "due_at": _iso(clock.due_at),
            "warning_at": _iso(clock.warning_at),
            "at": _iso(at),
            "elapsed_seconds": round(elapsed, 3),
        }
        if kind == WARNING:
            data["remaining_seconds"] = round(max(0.0, clock.target_seconds - elapsed), 3)
        else:
            data["overdue_seconds"] = round(max(0.0, elapsed - clock.target_seconds), 3)
        if kind == MET:
            data["outcome"] = clock.outcome
            data["announced_at"] = _iso(now)
        self.announcements.append(Announcement(kind, self.sla_sequence, data))

    def view(self, now: datetime) -> dict[str, Any]:
        """The record as the API shows it, states computed at `now`."""
        current = {t: self.current(t) for t in TARGETS}
        return {
            "incident_id": self.incident_id,
            "reference": self.reference,
            "title": self.title,
            "priority": self.priority,
            "status": self.status,
            "team": self.team,
            "incident_type": self.incident_type,
            "private": self.private,
            "created_at": self.created_at,
            "sequence": self.sequence,
            "sla_sequence": self.sla_sequence,
            "policy": {k: v for k, v in self.policy.to_dict().items() if k != "calendar"}
                      | {"timezone": self.calendar.timezone, "always": self.calendar.always},
            "targets": {t: c.view(self.calendar, now) for t, c in current.items()},
            "history": [c.view(self.calendar, now) for c in sorted(self.clocks, key=lambda c: (c.target, c.cycle))
                        if c is not current[c.target]],
        }
