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
    d.stat("API errors", "Share of API requests answered 5xx.",
           f'sum(rate({HTTP_5XX}[{RATE}])) / sum(rate({HTTP}[{RATE}]))',
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
    d.row("HTTP")
    d.timeseries("Request rate", "API requests per second by service.",
                 [(f"sum by (service) (rate({HTTP}[{RATE}]))", "{{service}}")], unit="reqps", width=8)
    d.timeseries("Error ratio", "Share of API requests answered 5xx, by service.",
                 [(f'sum by (service) (rate({HTTP_5XX}[{RATE}])) '
                   f"/ sum by (service) (rate({HTTP}[{RATE}]))", "{{service}}")],
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
