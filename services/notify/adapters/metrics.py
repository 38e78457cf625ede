"""The notify service's Prometheus metrics; every (channel, outcome) series exists from the start at zero."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from services.notify.domain.messages import CHANNELS

OUTCOMES = ("sent", "retried", "dead", "cancelled")

notifications = Counter(
    "firebreak_notifications_total",
    "Delivery attempts that ended, by channel and outcome (sent, retried, dead, cancelled).",
    ["channel", "outcome"],
)
handoff_latency = Histogram(
    "firebreak_notification_handoff_seconds",
    "From the triggering event (or the page's planned time) to the receiver accepting the message.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
retries = Counter(
    "firebreak_notification_retries_total",
    "Failed delivery attempts that will be retried, by channel.",
    ["channel"],
)
dead = Counter(
    "firebreak_notifications_dead_total",
    "Deliveries given up after their last attempt (or a permanent failure), by channel.",
    ["channel"],
)

for _channel in CHANNELS:
    for _outcome in OUTCOMES:
        notifications.labels(_channel, _outcome)
    handoff_latency.labels(_channel)
    retries.labels(_channel)
    dead.labels(_channel)


def count_cancelled(kinds: list[str]) -> None:
    """Deliveries an acknowledgement cancelled before they went out."""
    for kind in kinds:
        notifications.labels(kind, "cancelled").inc()
