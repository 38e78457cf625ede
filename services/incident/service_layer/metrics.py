"""MTTA, MTTR, open incidents and transitions, as Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from sqlalchemy import func, select

from libs.common.runtime import ServiceRuntime
from services.incident.adapters.orm import incidents
from services.incident.domain.changes import IncidentChanged
from services.incident.domain.model import SEVERITIES, Incident
from services.incident.domain.workflow import OPEN_STATUSES

# Buckets around the default SLA targets (1h/4h/8h/24h/72h) and paging expectations (minutes).
RESPONSE_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
RESOLUTION_BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 604800)

time_to_acknowledge = Histogram(
    "firebreak_incident_time_to_acknowledge_seconds",
    "Seconds from declaration to acknowledgement (MTTA), by severity and priority.",
    ["severity", "priority"], buckets=RESPONSE_BUCKETS)
time_to_resolve = Histogram(
    "firebreak_incident_time_to_resolve_seconds",
    "Seconds from declaration to resolution (MTTR), by severity and priority.",
    ["severity", "priority"], buckets=RESOLUTION_BUCKETS)
transitions = Counter(
    "firebreak_incident_transitions_total",
    "Incident changes by kind (created, acknowledged, status_changed, resolved…).",
    ["kind"])


def observe(incident: Incident, changes: list[IncidentChanged]) -> None:
    """Count what a committed unit of work did to an incident."""
    for change in changes:
        transitions.labels(change.kind).inc()
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

