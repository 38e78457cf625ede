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
    for collector in extra:
        local.register(collector)
    return output + generate_latest(local), CONTENT_TYPE_LATEST
