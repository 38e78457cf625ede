"""An escalation chain: the policy's steps fired in turn until someone acknowledges or all are spent.

Pure: every method takes `now`, and `resolve(targets, now)` tells who the targets are at that instant.
Each firing bumps `token`; the step timer carries it, so a stale or duplicate firing does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.escalation.domain.policy import Policy, Target

ACTIVE, ACKNOWLEDGED, STOPPED, EXHAUSTED = "active", "acknowledged", "stopped", "exhausted"
STATUSES = (ACTIVE, ACKNOWLEDGED, STOPPED, EXHAUSTED)
STARTED, STEP_FIRED, STEP_SKIPPED = "started", "step_fired", "step_skipped"

Resolver = Callable[[tuple[Target, ...], datetime], list[str]]


@dataclass
class FiredStep:
    step: int  # 1-based position in the policy
    round: int  # 1 for the first run, 2 for the first repeat, …
    at: datetime
    users: list[str]
    targets: list[dict[str, str]]
    skipped: bool  # the targets resolved to nobody: recorded, and the next step fired at once

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "round": self.round, "at": self.at.isoformat(), "users": self.users,
                "targets": self.targets, "skipped": self.skipped}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FiredStep:
        return cls(d["step"], d["round"], datetime.fromisoformat(d["at"]), list(d["users"]), list(d["targets"]),
                   bool(d["skipped"]))


@dataclass
class Announcement:
    kind: str  # started, step_fired, exhausted, stopped
    data: dict[str, Any]


@dataclass
class Chain:
    id: str
    incident_id: str
    team: str
    level: int
    policy: Policy
    started_at: datetime
    status: str = ACTIVE
    step: int = -1  # 0-based index of the step last fired
    round: int = 0  # 0-based run of the whole chain
    token: int = 0
    due_at: datetime | None = None  # when the current step times out
    ended_at: datetime | None = None
    end_reason: str | None = None
    fired: list[FiredStep] = field(default_factory=list)
    cause: dict[str, Any] | None = None  # the escalation record that started it (None: automatic)
    number: int = 1  # 1 for the incident's first chain, 2 for the next, …
    announcements: list[Announcement] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def start(cls, chain_id: str, incident_id: str, team: str, level: int, policy: Policy, now: datetime,
              resolve: Resolver, cause: dict[str, Any] | None = None, number: int = 1) -> Chain:
        """A new chain: announce it, and fire step 1 at once."""
        chain = cls(chain_id, incident_id, team, level, policy, now, cause=cause, number=number)
        chain.announcements.append(Announcement(STARTED, {}))
        chain._fire_from(0, now, resolve)
        return chain

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def timed_out(self, token: int, now: datetime, resolve: Resolver) -> bool:
        """The current step's wait is over: fire the next one. False (nothing done) if the token is stale."""
        if not self.active or token != self.token:
            return False
        self._fire_from(self.step + 1, now, resolve)
        return True

    def stop(self, status: str, reason: str, now: datetime) -> bool:
        """End an active chain as acknowledged or stopped; False if it had already ended."""
        if not self.active:
            return False
        self._end(status, reason, now)
        self.announcements.append(Announcement(STOPPED, {"status": status, "reason": reason}))
        return True

    def timer(self) -> tuple[datetime, dict[str, Any]] | None:
        """When and with what payload the step timer should fire; None when no timer should exist."""
        if not self.active or self.due_at is None:
            return None
        return self.due_at, {"escalation_id": self.id, "token": self.token}

    def _fire_from(self, index: int, now: datetime, resolve: Resolver) -> None:
        steps = self.policy.steps
        while True:
            if index >= len(steps):
                if self.round >= self.policy.repeat:
                    self._end(EXHAUSTED, "no acknowledgement after the last step", now)
                    self.announcements.append(Announcement(EXHAUSTED, {"rounds": self.round + 1}))
                    return
                self.round += 1
                index = 0
            step = steps[index]
            users = _unique(resolve(step.targets, now))
            self.token += 1
            self.step = index
            fired = FiredStep(index + 1, self.round + 1, now, users,
                              [{"kind": t.kind, "id": t.id} for t in step.targets], skipped=not users)
            self.fired.append(fired)
            if users:
                self.due_at = now + timedelta(seconds=step.timeout_seconds)
                self.announcements.append(Announcement(STEP_FIRED, {"fired": fired}))
                return
            self.announcements.append(Announcement(STEP_SKIPPED, {"fired": fired}))
            index += 1

    def _end(self, status: str, reason: str, now: datetime) -> None:
        self.status, self.end_reason, self.ended_at, self.due_at = status, reason, now, None
        self.token += 1


def _unique(users: list[str]) -> list[str]:
    return list(dict.fromkeys(u for u in users if u))
