"""Writes the Grafana dashboards next to this file: `python deploy/helm/firebreak/dashboards/generate.py`.

The JSON files are what the chart ships (one ConfigMap each); this script is their source. Every query uses only
metrics the services export (tests/chart/test_metrics.py checks them against a real scrape) and is scoped by the
`namespace` variable. Panel ids and dashboard uids are stable: Grafana links and alerts keep working across releases.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
NS = 'namespace=~"$namespace"'
RATE = "$__rate_interval"


class Dashboard:
    """Panels laid out left to right, top to bottom, on Grafana's 24-column grid."""

    def __init__(self, uid: str, title: str, description: str):
        self.uid, self.title, self.description = uid, title, description
        self.panels: list[dict] = []
        self.x = self.y = self.row_height = 0

    def _place(self, panel: dict, width: int, height: int) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + self.row_height
            self.row_height = 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.x += width
        self.row_height = max(self.row_height, height)
        self.panels.append(panel)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self._place({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.x, self.y, self.row_height = 0, self.y + 1, 0

    def timeseries(self, title: str, description: str, targets: list[tuple[str, str]], unit: str = "short",
                   width: int = 12, stack: bool = False) -> None:
        custom = {"fillOpacity": 10, "showPoints": "never"}
        if stack:
            custom["stacking"] = {"mode": "normal", "group": "A"}
        self._place({
            "type": "timeseries", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": _targets(targets),
            "fieldConfig": {"defaults": {"unit": unit, "min": 0, "custom": custom}, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
        }, width, 8)

    def stat(self, title: str, description: str, expr: str, unit: str = "short", width: int = 4,
             thresholds: tuple[float, float] | None = None) -> None:
        steps = [{"color": "green", "value": None}]
        if thresholds:
            steps += [{"color": "orange", "value": thresholds[0]}, {"color": "red", "value": thresholds[1]}]
        self._place({
            "type": "stat", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": _targets([(expr, "")]),
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "area", "textMode": "value"},
        }, width, 4)

    def to_json(self) -> dict:
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["firebreak"],
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "1m",
            "time": {"from": "now-6h", "to": "now"},
            "timepicker": {},
            "timezone": "",
            "annotations": {"list": []},
            "links": [{"type": "dashboards", "tags": ["firebreak"], "asDropdown": True, "title": "Firebreak"}],
            "templating": {"list": [
                {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
                 "current": {}, "hide": 0, "refresh": 1},
                {"name": "namespace", "label": "Namespace", "type": "query", "datasource": DATASOURCE,
                 "query": {"query": "label_values(firebreak_outbox_pending, namespace)", "refId": "namespace"},
                 "definition": "label_values(firebreak_outbox_pending, namespace)", "refresh": 2,
                 "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "hide": 0, "sort": 1},
            ]},
            "panels": self.panels,
        }


def _targets(targets: list[tuple[str, str]]) -> list[dict]:
    return [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend,
             "range": True} for i, (expr, legend) in enumerate(targets)]


WINDOW = "1d"
HTTP = f"firebreak_http_request_duration_seconds_count{{{NS}}}"
HTTP_5XX = f'firebreak_http_request_duration_seconds_count{{{NS}, status="5xx"}}'


def _quantile(q: float, histogram: str, by: str, window: str) -> str:
    labels = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (increase({histogram}_bucket{{{NS}}}[{window}])))"


def overview() -> Dashboard:
    d = Dashboard("firebreak-overview", "Firebreak / Overview",
                  "Incident response at a glance, and whether the platform is healthy.")
    d.row("Incidents")
    d.stat("Open incidents", "Incidents not yet resolved.",
           f"sum(max by (namespace, severity) (firebreak_incidents_open{{{NS}}}))", width=6)
    d.stat("MTTA p50 (24 h)", "Median time from declaration to acknowledgement, incidents acknowledged in the last "
           "24 hours.", _quantile(0.5, "firebreak_incident_time_to_acknowledge_seconds", "", WINDOW), unit="s",
           width=6)
    d.stat("MTTR p50 (24 h)", "Median time from declaration to resolution, incidents resolved in the last 24 hours.",
           _quantile(0.5, "firebreak_incident_time_to_resolve_seconds", "", WINDOW), unit="s", width=6)
    d.stat("SLA compliance", "Share of SLA targets met (of all decided) over the dashboard's time range.",
           f'sum(increase(firebreak_sla_evaluations_total{{{NS}, outcome="met"}}[$__range])) '
           f"/ sum(increase(firebreak_sla_evaluations_total{{{NS}}}[$__range]))", unit="percentunit", width=6)
    d.timeseries("Open incidents by severity", "Incidents not yet resolved, by severity.",
                 [(f"max by (severity) (firebreak_incidents_open{{{NS}}})", "{{severity}}")], stack=True, width=8)
    d.timeseries("MTTA", "Time to acknowledge, p50 and p90, over a sliding 24-hour window.",
                 [(_quantile(q, "firebreak_incident_time_to_acknowledge_seconds", "", WINDOW), f"p{int(q * 100)}")
                  for q in (0.5, 0.9)], unit="s", width=8)
    d.timeseries("MTTR", "Time to resolve, p50 and p90, over a sliding 24-hour window.",
                 [(_quantile(q, "firebreak_incident_time_to_resolve_seconds", "", WINDOW), f"p{int(q * 100)}")
                  for q in (0.5, 0.9)], unit="s", width=8)
    d.timeseries("MTTR p90 by severity", "Time to resolve, p90 by severity, over a sliding 24-hour window.",
                 [(_quantile(0.9, "firebreak_incident_time_to_resolve_seconds", "severity", WINDOW), "{{severity}}")],
                 unit="s")
    d.timeseries("Incident changes", "Incident changes per hour, by kind (created, acknowledged, resolved...).",
                 [(f"sum by (kind) (increase(firebreak_incident_transitions_total{{{NS}}}[1h]))", "{{kind}}")])
    d.timeseries("Alert intake", "Alerts received per hour, by source and outcome (new incident, deduplicated, "
                 "resolved, silenced, rejected...).",
                 [(f"sum by (source, outcome) (increase(firebreak_alerts_received_total{{{NS}}}[1h]))",
                   "{{source}} {{outcome}}")], width=24)
    d.row("SLA")
    d.timeseries("SLA breach rate", "Breached / all SLA targets decided over a sliding 24-hour window, by priority "
                 "and target (response, resolution).",
                 [(f'sum by (priority, target) (increase(firebreak_sla_evaluations_total{{{NS}, outcome="breached"}}'
                   f"[{WINDOW}])) / sum by (priority, target) (increase(firebreak_sla_evaluations_total{{{NS}}}"
                   f"[{WINDOW}]))", "{{priority}} {{target}}")], unit="percentunit")
    d.timeseries("SLA breaches", "SLA targets breached per hour, by priority and target.",
                 [(f"sum by (priority, target) (increase(firebreak_sla_breaches_total{{{NS}}}[1h]))",
                   "{{priority}} {{target}}")])
    d.row("Platform health")
    d.stat("API requests", "Requests per second over every service's API.",
           f"sum(rate({HTTP}[{RATE}]))", unit="reqps")
    d.stat("API errors", "Share of API requests answered 5xx (0 while there are none, or no requests).",
           f'(sum(rate({HTTP_5XX}[{RATE}])) / sum(rate({HTTP}[{RATE}]) > 0)) or vector(0)',
           unit="percentunit", thresholds=(0.01, 0.05))
    d.stat("Events published", "Events per second the relays published (broker-confirmed).",
           f"sum(rate(firebreak_events_published_total{{{NS}}}[{RATE}]))", unit="ops")
    d.stat("Events consumed", "Events per second the consumers finished with.",
           f"sum(rate(firebreak_events_consumed_total{{{NS}}}[{RATE}]))", unit="ops")
    d.stat("Outbox pending", "Events committed but not yet confirmed by the broker, all services.",
           f"sum(max by (namespace, service) (firebreak_outbox_pending{{{NS}}}))", thresholds=(100, 1000))
    d.stat("Dead-lettered", "Messages waiting in the dead-letter queues, all services.",
           f"sum(max by (namespace, service) (firebreak_dlq_messages{{{NS}}}))", thresholds=(1, 10))
    d.timeseries("API requests by service", "Requests per second by service and status class.",
                 [(f"sum by (service, status) (rate({HTTP}[{RATE}]))", "{{service}} {{status}}")],
                 unit="reqps", stack=True)
    d.timeseries("Events by service", "Events published and consumed per second.",
                 [(f"sum by (service) (rate(firebreak_events_published_total{{{NS}}}[{RATE}]))",
                   "{{service}} published"),
                  (f"sum by (service) (rate(firebreak_events_consumed_total{{{NS}}}[{RATE}]))",
                   "{{service}} consumed")], unit="ops")
    d.row("Escalation")
    d.stat("Escalations", "Incidents escalated to another team (hierarchical, functional, SLA-driven) over the "
           "dashboard's time range.", f"sum(increase(firebreak_escalations_total{{{NS}}}[$__range]))", width=6)
    d.stat("Time to first page p50 (24 h)", "Median time from an incident's creation to its first page, over a "
           "sliding 24-hour window.", _quantile(0.5, "firebreak_escalation_time_to_first_page_seconds", "", WINDOW),
           unit="s", width=6)
    d.stat("Exhausted chains", "Escalation chains that ran every step and repeat without an acknowledgement, over "
           "the dashboard's time range.",
           f"sum(increase(firebreak_escalation_chains_exhausted_total{{{NS}}}[$__range]))", width=6,
           thresholds=(1, 5))
    d.stat("Skipped steps", "Escalation steps whose targets resolved to nobody (e.g. an empty schedule), over the "
           "dashboard's time range.",
           f'sum(increase(firebreak_escalation_steps_fired_total{{{NS}, outcome="skipped"}}[$__range]))', width=6,
           thresholds=(1, 10))
    d.timeseries("Escalations by kind and level", "Escalations per hour, by kind and the level reached.",
                 [(f"sum by (kind, level) (increase(firebreak_escalations_total{{{NS}}}[1h]))",
                   "{{kind}} L{{level}}")], width=8)
    d.timeseries("Escalation steps", "Policy steps fired per hour: paged someone, or skipped (nobody to page).",
                 [(f"sum by (outcome) (increase(firebreak_escalation_steps_fired_total{{{NS}}}[1h]))",
                   "{{outcome}}")], width=8)
    d.timeseries("Time to first page", "Time from an incident's creation to its first page, p50 and p90, over a "
                 "sliding 24-hour window.",
                 [(_quantile(q, "firebreak_escalation_time_to_first_page_seconds", "", WINDOW), f"p{int(q * 100)}")
                  for q in (0.5, 0.9)], unit="s", width=8)
    d.row("Postmortems")
    # Gauges counted in the postmortem database: every API replica reports the same count, so take max.
    d.stat("Action items open", "Postmortem action items not done or cancelled.",
           f"max(firebreak_postmortem_action_items_open{{{NS}}})", width=6)
    d.stat("Action items overdue", "Open action items whose due date has passed.",
           f"max(firebreak_postmortem_action_items_overdue{{{NS}}})", width=6, thresholds=(1, 10))
    d.stat("Resolve to publish p50 (30 d)", "Median time from an incident's resolution to its postmortem's "
           "publication, over a sliding 30-day window.",
           _quantile(0.5, "firebreak_postmortem_resolve_to_publish_seconds", "", "30d"), unit="s", width=6)
    d.timeseries("Postmortems by status", "Postmortems in draft, in review and published.",
                 [(f"max by (status) (firebreak_postmortems{{{NS}}})", "{{status}}")], width=6)
    return d


def pipeline() -> Dashboard:
    d = Dashboard("firebreak-pipeline", "Firebreak / Pipeline",
                  "The event pipeline (outbox, relay, broker, consumers, dead-letter queues, timers) and the APIs.")
    d.row("Events")
    d.timeseries("Events published", "Events per second the relays published and the broker confirmed, by type.",
                 [(f"sum by (service, type) (rate(firebreak_events_published_total{{{NS}}}[{RATE}]))",
                   "{{service}} {{type}}")], unit="ops")
    d.timeseries("Events consumed", "Events per second the consumers finished with, by outcome "
                 "(processed, duplicate, dead_lettered).",
                 [(f"sum by (service, outcome) (rate(firebreak_events_consumed_total{{{NS}}}[{RATE}]))",
                   "{{service}} {{outcome}}")], unit="ops")
    d.timeseries("Outbox pending", "Events committed with their state change but not yet confirmed by the broker. "
                 "Growing: the relay is down, slow or cut off from the broker.",
                 [(f"max by (service) (firebreak_outbox_pending{{{NS}}})", "{{service}}")])
    d.timeseries("Consumer failures", "Handler attempts that raised, per second, by event type (retried, then "
                 "dead-lettered at the delivery limit).",
                 [(f"sum by (service, type) (rate(firebreak_consumer_failures_total{{{NS}}}[{RATE}]))",
                   "{{service}} {{type}}")], unit="ops")
    d.row("Dead-letter queues")
    d.timeseries("DLQ messages", "Messages waiting in each service's dead-letter queue firebreak.<service>.dlq.",
                 [(f"max by (service) (firebreak_dlq_messages{{{NS}}})", "{{service}}")])
    d.timeseries("Dead-lettered", "Messages sent to the dead-letter queue per second, by reason.",
                 [(f"sum by (service, reason) (rate(firebreak_events_dead_lettered_total{{{NS}}}[{RATE}]))",
                   "{{service}} {{reason}}")], unit="ops")
    d.row("Timers")
    d.timeseries("Timers fired", "Timers the schedulers ran per second, by kind and outcome (fired, retried).",
                 [(f"sum by (service, kind, outcome) (rate(firebreak_timers_fired_total{{{NS}}}[{RATE}]))",
                   "{{service}} {{kind}} {{outcome}}")], unit="ops")
    d.timeseries("Timer lateness p99", "How long after its due time a timer ran (target: p99 under 1 s).",
                 [(f"histogram_quantile(0.99, sum by (service, kind, le) "
                   f"(rate(firebreak_timer_lateness_seconds_bucket{{{NS}}}[{RATE}])))", "{{service}} {{kind}}")],
                 unit="s")
    d.row("Notifications")
    d.stat("Dead deliveries (24 h)", "Notifications given up after their last attempt over the last 24 hours.",
           f"sum(increase(firebreak_notifications_dead_total{{{NS}}}[{WINDOW}]))", thresholds=(1, 10))
    d.stat("Handoff p90", "Time from the triggering event to the receiver accepting a notification, p90.",
           f"histogram_quantile(0.9, sum by (le) (rate(firebreak_notification_handoff_seconds_bucket{{{NS}}}"
           f"[{RATE}])))", unit="s", thresholds=(5, 30))
    d.timeseries("Notifications", "Deliveries per second by channel and outcome (sent, retried, dead, cancelled).",
                 [(f"sum by (channel, outcome) (rate(firebreak_notifications_total{{{NS}}}[{RATE}]))",
                   "{{channel}} {{outcome}}")], unit="ops", width=16)
    d.timeseries("Handoff latency by channel", "Event to receiver acceptance, p50 and p99, by channel.",
                 [(f"histogram_quantile({q}, sum by (channel, le) "
                   f"(rate(firebreak_notification_handoff_seconds_bucket{{{NS}}}[{RATE}])))",
                   f"{{{{channel}}}} p{int(q * 100)}") for q in (0.5, 0.99)], unit="s")
    d.timeseries("Retries and dead deliveries", "Failed attempts to be retried, and deliveries given up, per second.",
                 [(f"sum by (channel) (rate(firebreak_notification_retries_total{{{NS}}}[{RATE}]))",
                   "{{channel}} retried"),
                  (f"sum by (channel) (rate(firebreak_notifications_dead_total{{{NS}}}[{RATE}]))",
                   "{{channel}} dead")], unit="ops")
    d.row("HTTP")
    d.timeseries("Request rate", "API requests per second by service.",
                 [(f"sum by (service) (rate({HTTP}[{RATE}]))", "{{service}}")], unit="reqps", width=8)
    d.timeseries("Error ratio", "Share of API requests answered 5xx, by service.",
                 [(f'(sum by (service) (rate({HTTP_5XX}[{RATE}])) / sum by (service) (rate({HTTP}[{RATE}]) > 0)) '
                   f"or (0 * sum by (service) (rate({HTTP}[{RATE}])))", "{{service}}")],
                 unit="percentunit", width=8)
    d.timeseries("Latency", "API request duration by service: p50 and p90.",
                 [(f"histogram_quantile({q}, sum by (service, le) "
                   f"(rate(firebreak_http_request_duration_seconds_bucket{{{NS}}}[{RATE}])))",
                   f"{{{{service}}}} p{int(q * 100)}") for q in (0.5, 0.9)], unit="s", width=8)
    d.timeseries("Requests by route", "API requests per second by service, method, route and status class.",
                 [(f"sum by (service, method, route, status) (rate({HTTP}[{RATE}]))",
                   "{{service}} {{method}} {{route}} {{status}}")], unit="reqps", width=24)
    return d


DASHBOARDS = {"overview.json": overview, "pipeline.json": pipeline}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {name: json.dumps(build().to_json(), indent=2, sort_keys=True) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, text in render().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run python {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
