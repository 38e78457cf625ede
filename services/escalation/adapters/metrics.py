"""The escalation service's Prometheus metrics; every label set exists from the start (at zero)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

KINDS = ("hierarchical", "functional", "sla")
LEVELS = ("1", "2", "3", "4", "5+")
STEP_OUTCOMES = ("paged", "skipped")
FIRST_PAGE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)

escalations = Counter(
    "firebreak_escalations_total",
    "Escalations of incidents to another team, by kind (hierarchical, functional, sla) and level reached.",
    ["kind", "level"],
)
steps_fired = Counter(
    "firebreak_escalation_steps_fired_total",
    "Escalation policy steps fired, by outcome (paged someone, or skipped: its targets resolved to nobody).",
    ["outcome"],
)
chains_exhausted = Counter(
    "firebreak_escalation_chains_exhausted_total",
    "Escalation chains that ran every step and repeat without an acknowledgement.",
)
time_to_first_page = Histogram(
    "firebreak_escalation_time_to_first_page_seconds",
    "Seconds from an incident's creation to the first page sent for it.",
    buckets=FIRST_PAGE_BUCKETS,
)

for _kind in KINDS:
    for _level in LEVELS:
        escalations.labels(_kind, _level)
for _outcome in STEP_OUTCOMES:
    steps_fired.labels(_outcome)


def level_label(level: int) -> str:
    """A bounded label for an escalation level."""
    return str(level) if level < 5 else "5+"
