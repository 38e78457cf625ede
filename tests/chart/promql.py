"""The PromQL the chart ships (dashboards and rules), parsed with promql-parser."""

from __future__ import annotations

import json
import re

import promql_parser

from tests.chart.conftest import CHART, Rendered

# Grafana's variables, replaced by something of the same type before parsing.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}


def grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    # label_values(metric, label) is Grafana's, not PromQL: keep the metric selector.
    match = re.fullmatch(r"\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", expr)
    return match.group(1) if match else expr


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (raises when it is not valid PromQL)."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(grafana_to_promql(expr)), visit)
    return names


def queries(rendered: Rendered) -> dict[str, list[str]]:
    """Where each expression comes from (dashboard panel or variable, rule) -> its expressions."""
    found: dict[str, list[str]] = {}
    for path in sorted((CHART / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found.setdefault(f"{dashboard['title']}: {panel['title']}", []).append(target["expr"])
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                found.setdefault(f"{dashboard['title']}: ${variable['name']}", []).append(variable["definition"])
    for rule_object in rendered.kind("PrometheusRule"):
        for group in rule_object["spec"]["groups"]:
            for rule in group["rules"]:
                found.setdefault(f"rule {rule.get('record') or rule.get('alert')}", []).append(rule["expr"])
    return found


def recorded(rendered: Rendered) -> set[str]:
    return {rule["record"] for obj in rendered.kind("PrometheusRule") for group in obj["spec"]["groups"]
            for rule in group["rules"] if "record" in rule}
