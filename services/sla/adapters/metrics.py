"""The sla service's Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from libs.common.runtime import ServiceRuntime

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


class PendingTimers:
    """firebreak_sla_timers_pending{kind}: counted in the scheduler's database when scraped."""

    def __init__(self) -> None:
        self.runtime: ServiceRuntime | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily("firebreak_sla_timers_pending", "SLA warning and breach timers not yet fired.",
                                   labels=["kind"])
        if self.runtime is None:
            return [family]
        table = self.runtime.tables.timers
        try:
            with self.runtime.engine.connect() as conn:
                rows = conn.execute(select(table.c.kind, func.count()).group_by(table.c.kind)).all()
        except Exception:  # noqa: BLE001 - a broken store must not break the scrape
            return []
        for kind, count in rows:
            family.add_metric([kind], count)
        return [family]


pending_timers = PendingTimers()
REGISTRY.register(pending_timers)


def watch_timers(runtime: ServiceRuntime) -> None:
    """Count this runtime's timers in firebreak_sla_timers_pending."""
    pending_timers.runtime = runtime
