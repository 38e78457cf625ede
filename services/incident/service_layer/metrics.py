"""MTTA, MTTR, open incidents and transitions, as Prometheus metrics."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram
from sqlalchemy import func, select

from libs.common.log import log
from libs.common.runtime import ServiceRuntime
from services.incident.adapters.orm import incidents
from services.incident.domain.changes import IncidentChanged
from services.incident.domain.model import PRIORITIES, SEVERITIES, Incident
from services.incident.domain.workflow import OPEN_STATUSES

logger = logging.getLogger(__name__)
# Seconds to days: an alert acknowledged by a bot in 5 s and an incident resolved over a week both get a bucket
# close enough to read a quantile from (around the default SLA targets 1h/4h/8h/24h/72h too).
RESPONSE_BUCKETS = (5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200)
RESOLUTION_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200,
                      604800)
# The changes counted from the start, so that rate() and increase() count the first of each.
TRANSITION_KINDS = ("created", "acknowledged", "assigned", "status_changed", "resolved", "closed", "reopened",
                    "role_changed")

time_to_acknowledge = Histogram(
    "firebreak_incident_time_to_acknowledge_seconds",
    "Seconds from declaration to acknowledgement (MTTA), by severity and priority.",
    ["severity", "priority"], buckets=RESPONSE_BUCKETS)
time_to_resolve = Histogram(
    "firebreak_incident_time_to_resolve_seconds",
    "Seconds from declaration to resolution (MTTR), by severity and priority.",
    ["severity", "priority"], buckets=RESOLUTION_BUCKETS)
time_to_detect = Histogram(
    "firebreak_incident_time_to_detect_seconds",
    "Seconds from the alert's own start time (startsAt, timestamp, date) to the incident's declaration (MTTD).",
    ["severity", "priority"], buckets=RESPONSE_BUCKETS)
transitions = Counter(
    "firebreak_incident_transitions_total",
    "Incident changes by kind (created, acknowledged, status_changed, resolved…).",
    ["kind"])


def create_series() -> None:
    """Every known label set at zero, so a rate over the first event counts it."""
    for severity in SEVERITIES:
        for priority in PRIORITIES:
            time_to_acknowledge.labels(severity, priority)
            time_to_resolve.labels(severity, priority)
            time_to_detect.labels(severity, priority)
    for kind in TRANSITION_KINDS:
        transitions.labels(kind)


create_series()


def observe(incident: Incident, changes: list[IncidentChanged]) -> None:
    """Count what a committed unit of work did to an incident."""
    for change in changes:
        transitions.labels(change.kind).inc()
        if change.kind == "created" and logger.isEnabledFor(logging.INFO):
            log(logger, logging.INFO, f"incident opened: {incident.reference} {incident.title}",
                incident_id=incident.id, severity=incident.severity, priority=incident.priority, team=incident.team)
        if change.kind == "created" and incident.detected_at:
            time_to_detect.labels(incident.severity, incident.priority).observe(
                max(0.0, (incident.created_at - incident.detected_at).total_seconds()))
        if change.kind == "acknowledged" and incident.acknowledged_at:
            time_to_acknowledge.labels(incident.severity, incident.priority).observe(
                (incident.acknowledged_at - incident.created_at).total_seconds())
        if change.kind == "resolved" and incident.resolved_at:
            time_to_resolve.labels(incident.severity, incident.priority).observe(
                (incident.resolved_at - incident.created_at).total_seconds())


class OpenIncidents:
    """firebreak_incidents_open{severity}, counted in the database when scraped."""

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily("firebreak_incidents_open", "Incidents not yet resolved, by severity.",
                                   labels=["severity"])
        query = (select(incidents.c.severity, func.count()).where(incidents.c.status.in_(OPEN_STATUSES))
                 .group_by(incidents.c.severity))
        try:
            with self.runtime.engine.connect() as conn:
                counts = dict(conn.execute(query).all())
        except Exception:  # noqa: BLE001 - a broken store must not break the scrape
            return []
        for severity in SEVERITIES:
            family.add_metric([severity], counts.get(severity, 0))
        return [family]

