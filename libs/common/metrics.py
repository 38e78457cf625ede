"""Prometheus metrics shared by every service, working under gunicorn's multiprocess mode."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_request_duration = Histogram(
    "firebreak_http_request_duration_seconds",
    "HTTP request duration by service, method, route and status class.",
    ["service", "method", "route", "status"],
    buckets=HTTP_BUCKETS,
)
events_published = Counter(
    "firebreak_events_published_total",
    "Events the relay published and the broker confirmed.",
    ["service", "type"],
)
events_consumed = Counter(
    "firebreak_events_consumed_total",
    "Events a consumer finished with, by outcome (processed, duplicate, dead_lettered).",
    ["service", "type", "outcome"],
)
consumer_failures = Counter(
    "firebreak_consumer_failures_total",
    "Handler attempts that raised; the message was retried or dead-lettered.",
    ["service", "type"],
)
consumer_waits = Counter(
    "firebreak_consumer_outage_waits_total",
    "Times a consumer held an event because its database was unreachable or contended (no attempt spent).",
    ["service"],
)
dead_lettered = Counter(
    "firebreak_events_dead_lettered_total",
    "Messages a consumer sent to its dead-letter queue, by reason.",
    ["service", "reason"],
)
dlq_messages = Gauge(
    "firebreak_dlq_messages",
    "Messages waiting in the service's dead-letter queue, as last seen by its consumer.",
    ["service"],
    multiprocess_mode="mostrecent",
)
timers_fired = Counter(
    "firebreak_timers_fired_total",
    "Timers the scheduler ran, by kind and outcome (fired, retried).",
    ["service", "kind", "outcome"],
)
timer_lateness = Histogram(
    "firebreak_timer_lateness_seconds",
    "How long after its due time a timer ran.",
    ["service", "kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)

jobs_finished = Counter(
    "firebreak_jobs_finished_total",
    "Leased jobs that reached an end, by kind and outcome (succeeded, dead).",
    ["service", "kind", "outcome"],
)
job_attempts = Counter(
    "firebreak_job_attempts_total",
    "Attempts at leased jobs, by kind and outcome (succeeded, retrying, dead, lease_lost).",
    ["service", "kind", "outcome"],
)


def create_series(service: str, published: Iterable[str], consumed: Iterable[str]) -> None:
    """A service's known label sets at zero, so that rate() and increase() count the first event."""
    for event_type in published:
        events_published.labels(service, event_type)
    for event_type in consumed:
        consumer_failures.labels(service, event_type)
        for outcome in ("processed", "duplicate", "dead_lettered"):
            events_consumed.labels(service, event_type, outcome)
    consumer_waits.labels(service)


class ScrapeTimeGauge:
    """A gauge computed when scraped (e.g. a COUNT on the service's own database)."""

    def __init__(self, name: str, documentation: str, labels: dict[str, str], read: Callable[[], float]):
        self.name, self.documentation, self.labels, self.read = name, documentation, labels, read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))
        try:
            family.add_metric(list(self.labels.values()), self.read())
        except Exception:  # noqa: BLE001 - a broken store must not break the scrape
            return []
        return [family]


def render(extra: Iterable[object] = ()) -> tuple[bytes, str]:
    """The exposition text: this process's (or all gunicorn workers') metrics plus scrape-time ones."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    local = CollectorRegistry()
    local.register(_Merged(extra))
    return output + generate_latest(local), CONTENT_TYPE_LATEST


class _Merged:
    """Scrape-time collectors as one family per name: several services in one process (the embedded mode) each
    report e.g. firebreak_outbox_pending{service}, and the exposition format allows one HELP/TYPE per family."""

    def __init__(self, collectors: Iterable[object]):
        self.collectors = list(collectors)

    def collect(self) -> Iterable[object]:
        families: dict[str, object] = {}
        for collector in self.collectors:
            for family in collector.collect():
                if family.name in families:
                    families[family.name].samples.extend(family.samples)
                else:
                    families[family.name] = family
        return list(families.values())
