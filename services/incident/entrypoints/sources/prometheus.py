"""Alertmanager webhook (version 4) and Grafana's alerting webhook, which follows its shape."""

from __future__ import annotations

from marshmallow import fields, validate

from services.incident.domain.alerts import AlertSignal
from services.incident.entrypoints.sources.common import Lenient, StrDict, parse_time, text_labels, title_from


class AlertSchema(Lenient):
    status = fields.String(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    annotations = StrDict
    startsAt = fields.String(load_default=None)
    endsAt = fields.String(load_default=None)
    generatorURL = fields.String(load_default=None, allow_none=True)
    fingerprint = fields.String(load_default=None)


class GroupSchema(Lenient):
    version = fields.String(load_default=None)
    groupKey = fields.String(required=True, validate=validate.Length(min=1))
    status = fields.String(load_default=None)
    alerts = fields.List(fields.Nested(AlertSchema), required=True, validate=validate.Length(min=1))
    groupLabels = StrDict
    commonLabels = StrDict
    commonAnnotations = StrDict
    routeLabels = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=None, allow_none=True)
    externalURL = fields.String(load_default=None)


class GrafanaSchema(GroupSchema):
    state = fields.String(load_default=None)
    title = fields.String(load_default=None)
    message = fields.String(load_default=None)


def _signals(body: dict, links_for) -> list[AlertSignal]:
    common = text_labels(body.get("commonLabels"))
    route = text_labels(body.get("routeLabels") or {})
    group_annotations = text_labels(body.get("commonAnnotations"))
    signals = []
    for alert in body["alerts"]:
        labels = text_labels(alert["labels"])
        annotations = text_labels(alert.get("annotations"))
        fingerprint = alert.get("fingerprint") or "|".join(f"{k}={labels[k]}" for k in sorted(labels))
        group_title = title_from(common, group_annotations, "") if len(body["alerts"]) > 1 else ""
        signals.append(AlertSignal(
            dedup_key=body["groupKey"],
            fingerprint=fingerprint,
            action="resolve" if alert["status"] == "resolved" else "trigger",
            title=group_title or title_from(labels, annotations, body["groupKey"]),
            severity_word=labels.get("severity") or common.get("severity"),
            labels={**route, **labels},
            summary=annotations.get("description") or annotations.get("summary"),
            details={"annotations": annotations},
            links=links_for(alert),
            started_at=parse_time(alert.get("startsAt")),
            team_hint=labels.get("team") or common.get("team") or route.get("team"),
        ))
    return signals


def _link(url: str | None, text: str) -> list[dict[str, str]]:
    return [{"href": url, "text": text}] if url else []


def alertmanager(body: dict) -> list[AlertSignal]:
    """Many alerts per post, firing and resolved mixed; one group key per post."""
    return _signals(body, lambda a: _link(a.get("generatorURL"), "Source"))


def grafana(body: dict) -> list[AlertSignal]:
    """Grafana-managed alerting: as Alertmanager, plus dashboard and panel links; state alerting/ok."""
    def links(alert):
        return (_link(alert.get("dashboardURL"), "Dashboard") + _link(alert.get("panelURL"), "Panel")
                + _link(alert.get("generatorURL"), "Alert rule"))

    signals = _signals(body, links)
    if body.get("state") == "ok":
        for signal in signals:
            signal.action = "resolve"
    return signals
