"""Were the SLA warnings and breaches that were due announced once each, and none that were not?

"Due" comes from the incident's own instants (created, acknowledged or started, resolved) read back from the
incident API. Under faults the SLA service can learn of a completion after its threshold passed (the event
was held up by a dead relay or a broker restart); it cannot take back what it announced before, so such a
case is counted as "completion reached SLA late", not a failure. When it learned is read from SQL: the sla
inbox's `received_at` for the first incident event written at or after the completion.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from bench.soak.faults import Faults
from bench.soak.stack import SoakStack

ANNOUNCED = {"firebreak.sla.warning.v1": "warning", "firebreak.sla.breached.v1": "breach"}
BORDER = 3.0  # seconds either side of a threshold where both outcomes are accepted
# A warning timer may run this late without a fault to explain it (a busy 2-core machine).
LATE_OK = 5.0
SLA_TIMER_FAULTS = ("kill sla scheduler", "restart postgres", "outage sla")
RESTART_SECONDS = 15.0  # a restarted process takes this long to import and start on a busy machine


@dataclass
class Targets:
    response: int
    resolution: int
    warning_percent: float


def _at(value) -> float | None:
    if value is None:
        return None
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).timestamp()


def completions(incident: dict) -> dict[str, float | None]:
    """When each target completed: first response (acknowledged or started, else resolved), resolution."""
    responded = [t for t in (_at(incident.get("acknowledged_at")), _at(incident.get("started_at"))) if t]
    resolved = _at(incident.get("resolved_at"))
    return {"response": min(responded) if responded else resolved, "resolution": resolved}


def learned(stack: SoakStack) -> dict[str, list[tuple[float, float]]]:
    """Per incident: (written at, received by sla at) of each incident event the sla consumer handled."""
    with stack._admin(stack.database("sla")) as conn:
        received = dict(conn.execute("SELECT event_id, received_at FROM inbox").fetchall())
    with stack._admin(stack.database("incident")) as conn:
        rows = conn.execute("SELECT subject, event_id, created_at FROM outbox").fetchall()
    seen: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for subject, event_id, created in rows:
        if event_id in received:
            seen[subject].append((created.timestamp(), received[event_id].timestamp()))
    return seen


def check_sla(stack: SoakStack, found: dict[str, dict], messages: list[dict], targets: Targets,
              faults: Faults) -> tuple[str, list[str], list[str]]:
    """A headline, the tally, and the problems found."""
    ids_by_clock: dict[tuple, set[str]] = defaultdict(set)
    for m in messages:
        kind = ANNOUNCED.get(m["type"])
        if kind:  # one cycle per target: nothing is reopened
            ids_by_clock[(m["data"]["incident_id"], m["data"]["target"], kind)].add(m["id"])
    events = learned(stack)
    tally: Counter = Counter()
    problems: list[str] = []
    delays: list[float] = []
    mono_offset = time.time() - time.monotonic()
    for incident_id, incident in found.items():
        created, done = _at(incident["created_at"]), completions(incident)
        ref = incident["reference"]
        for target, seconds in (("response", targets.response), ("resolution", targets.resolution)):
            knew = None
            if done[target] is not None:
                after = [r for w, r in events.get(incident_id, ()) if w >= done[target] - 0.01]
                knew = min(after) if after else None
                if knew is not None:
                    delays.append(knew - done[target])
            breach_fired = len(ids_by_clock.get((incident_id, target, "breach"), ()))
            for kind, threshold in (("breach", seconds), ("warning", seconds * targets.warning_percent / 100)):
                kinds = "breaches" if kind == "breach" else "warnings"
                fired = len(ids_by_clock.get((incident_id, target, kind), ()))
                due_at = created + threshold
                took = None if done[target] is None else done[target] - created
                if fired > 1:
                    problems.append(f"{ref} {target} {kind} announced {fired} times")
                elif took is not None and abs(took - threshold) <= BORDER:
                    tally["within 3 s of a threshold (either way accepted)"] += 1
                elif took is None or took > threshold:  # due
                    if fired:
                        tally[f"{kinds} due and announced"] += 1
                    elif kind == "warning" and breach_fired:
                        tally["warnings folded into their breach (both due when the timer ran)"] += 1
                    elif (kind == "warning" and knew is not None
                          and (knew - due_at <= LATE_OK
                               or faults.near(due_at - mono_offset, SLA_TIMER_FAULTS, lead=knew - due_at,
                                              lag=RESTART_SECONDS))):
                        tally["warnings skipped: completed while the timer was held up by a fault"] += 1
                    else:
                        problems.append(f"{ref} {target} {kind} due at +{threshold:.0f} s, never announced "
                                        f"(completed {_rel(took)}, known to sla {_rel(knew, created)})")
                elif fired:  # not due
                    if knew is None or knew > due_at:
                        tally[f"{kinds} announced before the completion reached SLA (late events)"] += 1
                    else:
                        problems.append(f"{ref} {target} {kind} announced though not due (completed "
                                        f"{_rel(took)}, known to sla {_rel(knew, created)}, due +{threshold:.0f} s)")
                else:
                    tally[f"{kinds} not due and silent"] += 1
    distinct = sum(len(v) for v in ids_by_clock.values())
    delays.sort()
    lag = (f"completion to SLA consumer p50 {delays[len(delays) // 2]:.1f} s, p99 "
           f"{delays[int(len(delays) * 0.99)]:.1f} s, max {delays[-1]:.1f} s") if delays else ""
    line = f"{distinct} warnings and breaches announced ({len(messages)} messages with met and redeliveries)"
    return line, [f"{k}: {v}" for k, v in sorted(tally.items())] + ([lag] if lag else []), problems


def _rel(value: float | None, origin: float = 0.0) -> str:
    return "never" if value is None else f"+{value - origin:.1f} s"
