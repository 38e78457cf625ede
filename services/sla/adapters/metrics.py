"""The sla service's Prometheus metrics; every label set exists from the start (at zero)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from services.sla.domain.policy import PRIORITIES, TARGETS

OUTCOMES = ("met", "breached")
ANNOUNCEMENTS = ("warning", "breached")

sla_evaluations = Counter(
    "firebreak_sla_evaluations_total",
    "SLA targets decided, by target, priority and outcome (met or breached); breach rate = breached / all.",
    ["target", "priority", "outcome"],
)
sla_breaches = Counter(
    "firebreak_sla_breaches_total",
    "SLA targets that breached, by target and priority.",
    ["target", "priority"],
)
sla_announcement_lateness = Histogram(
    "firebreak_sla_announcement_lateness_seconds",
    "How long after its due instant an SLA warning or breach was announced (written to the outbox).",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)

# Created at zero so that rate()/increase() count the first breach, and breach rate reads 0, not NaN.
for _target in TARGETS:
    for _priority in PRIORITIES:
        sla_breaches.labels(_target, _priority)
        for _outcome in OUTCOMES:
            sla_evaluations.labels(_target, _priority, _outcome)
for _kind in ANNOUNCEMENTS:
    sla_announcement_lateness.labels(_kind)
