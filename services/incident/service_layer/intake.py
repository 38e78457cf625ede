"""Alert intake: dedup and grouping onto open incidents, resolve and acknowledge from source, storms."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from libs.common.log import log
from libs.common.regex import fullmatch
from services.incident.adapters.title_templates import render_title
from services.incident.domain.alerts import PRIORITY_FOR_SEVERITY, AlertSignal, map_severity
from services.incident.domain.model import Incident
from services.incident.domain.routing import matches, route
from services.incident.service_layer.handlers import open_incident
from services.incident.service_layer.publishing import save
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

logger = logging.getLogger(__name__)
NOTE_EVERY = timedelta(minutes=1)
STORM_KEY = "firebreak:storm"

alerts_received = Counter("firebreak_alerts_received_total",
                          "Alerts received, by source and outcome (new_incident, deduplicated, resolved, "
                          "acknowledged, silenced, maintenance, rate_limited, unmatched, rejected).",
                          ["source", "outcome"])
ALERT_SOURCES = ("alertmanager", "grafana", "datadog", "generic", "pagerduty", "heartbeat")
ALERT_OUTCOMES = ("new_incident", "deduplicated", "resolved", "acknowledged", "silenced", "maintenance",
                  "rate_limited", "unmatched", "rejected")
for _source in ALERT_SOURCES:  # at zero from the start: rate() counts the first alert of each
    for _outcome in ALERT_OUTCOMES:
        alerts_received.labels(_source, _outcome)


@dataclass
class IntakeResult:
    outcomes: list[str] = field(default_factory=list)
    incident_ids: list[str] = field(default_factory=list)
    rate_limited: bool = False
    retry_after: int = 0


@dataclass
class _Context:
    uow: IncidentUnitOfWork
    integration: dict[str, Any]
    source: str
    now: datetime
    actor: str
    touched: dict[str, tuple[Incident, int]] = field(default_factory=dict)

    def incident(self, incident_id: str) -> Incident | None:
        """Load each incident once per post, locked; saved together at the end."""
        if incident_id not in self.touched:
            found = self.uow.incidents.get(incident_id, for_update=True)
            if found is None:
                return None
            self.touched[incident_id] = (found, found.version)
        return self.touched[incident_id][0]


def ingest(uow: IncidentUnitOfWork, integration: dict[str, Any], source: str, signals: list[AlertSignal],
           raw: dict | None) -> IntakeResult:
    """Record every alert of one post and act on it, all in one transaction."""
    now = uow.clock.now()
    result = IntakeResult()
    fresh: list[tuple[Incident, list]] = []
    with uow:
        ctx = _Context(uow, integration, source, now, f"integration:{integration['name']}")
        limit = integration["rate_limit_per_minute"]
        window = now.replace(second=0, microsecond=0)
        total = uow.integrations.count_in_window(integration["id"], window, len(signals)) if limit else 0
        if limit and total > limit:
            # Over the limit: the post is refused, but its alerts are counted on one storm incident.
            result.rate_limited = True
            result.retry_after = max(1, 60 - now.second)
            _handle(ctx, _storm_signal(integration, limit), None, fresh, len(signals))
            result.outcomes = ["rate_limited"] * len(signals)
        else:
            for signal in signals:
                result.outcomes.append(_handle(ctx, signal, raw, fresh, 1))
        for incident, loaded in ctx.touched.values():
            if incident.events:
                changes = save(uow, incident, loaded)
                fresh.append((incident, changes))
        uow.commit()
    for incident, _ in fresh:
        if incident.id not in result.incident_ids:
            result.incident_ids.append(incident.id)
    for outcome in result.outcomes:
        alerts_received.labels(source, outcome).inc()
    log(logger, logging.INFO, f"alert received from {source}: {', '.join(result.outcomes) or 'nothing to do'}",
        source=source, integration=integration["name"], outcomes=result.outcomes, incidents=result.incident_ids)
    return result


def _storm_signal(integration: dict[str, Any], limit: int) -> AlertSignal:
    return AlertSignal(dedup_key=STORM_KEY, fingerprint=STORM_KEY, action="trigger",
                       title=f"Alert storm: {integration['name']} sent more than {limit} alerts a minute",
                       severity_word="high", labels={"alertname": "FirebreakAlertStorm"},
                       summary="Alerts beyond the rate limit are counted on this incident, not stored one by one.")


def _handle(ctx: _Context, signal: AlertSignal, raw: dict | None, fresh: list, weight: int) -> str:
    integration = ctx.integration
    chosen = route(integration["routing_rules"], signal.labels, fullmatch)
    severity = chosen.severity or map_severity(signal.severity_word, integration["severity_map"])
    team = chosen.team or signal.team_hint or integration["default_team"]
    title = render_title(chosen.title_template, signal.labels, signal.title, signal.summary) \
        if chosen.title_template else signal.title
    alert = {"severity": severity, "title": title[:300], "labels": signal.labels, "payload": raw}
    suppressed = _suppressed(ctx, signal, team)
    if suppressed:
        _record_suppressed(ctx, signal, alert, suppressed, weight)
        return suppressed
    if signal.action == "trigger":
        priority = chosen.priority or PRIORITY_FOR_SEVERITY[severity]
        return _trigger(ctx, signal, alert, priority, team, chosen.incident_type or integration["incident_type"],
                        fresh, weight)
    if signal.action == "resolve":
        return _resolve(ctx, signal)
    return _acknowledge(ctx, signal)


def _suppressed(ctx: _Context, signal: AlertSignal, team: str | None) -> str | None:
    if signal.muted:
        return "silenced"
    suppressions = ctx.uow.suppressions
    silences = suppressions.active_silences(ctx.integration["id"], ctx.now)
    if any(_silences(s, signal.labels) for s in silences):
        return "silenced"
    if suppressions.active_window(ctx.integration["id"], team, ctx.now):
        return "maintenance"
    return None


def _silences(silence: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a stored silence holds; one it cannot use (malformed matchers) is logged and skipped."""
    try:
        return matches(silence["matchers"], labels, fullmatch)
    except (KeyError, TypeError, AttributeError):
        logger.warning("skipping silence %s: its matchers cannot be used", silence.get("id"))
        return False


def _record_suppressed(ctx: _Context, signal: AlertSignal, alert: dict, outcome: str, weight: int) -> None:
    repo = ctx.uow.alerts
    existing = repo.find(ctx.integration["id"], signal.dedup_key, signal.fingerprint, None, outcome)
    if existing:
        repo.bump(existing["id"], weight, ctx.now, {"payload": alert["payload"]})
    else:
        _insert_alert(ctx, signal, alert, None, outcome, weight)


def _insert_alert(ctx: _Context, signal: AlertSignal, alert: dict, incident_id: str | None, outcome: str,
                  weight: int) -> None:
    ctx.uow.alerts.add({"id": str(uuid.uuid4()), "integration_id": ctx.integration["id"],
                        "incident_id": incident_id, "source": ctx.source, "dedup_key": signal.dedup_key,
                        "fingerprint": signal.fingerprint, "status": "firing", "outcome": outcome,
                        "count": weight, "first_seen": ctx.now, "last_seen": ctx.now,
                        "last_noted_at": ctx.now if incident_id else None, **alert})


def _open_incident_of(ctx: _Context, dedup_key: str) -> tuple[dict, Incident | None]:
    group = ctx.uow.alerts.lock_group(ctx.integration["id"], dedup_key, ctx.now)
    incident = ctx.incident(group["incident_id"]) if group["incident_id"] else None
    return group, incident if incident is not None and incident.is_open else None


def _trigger(ctx, signal, alert, priority, team, incident_type, fresh, weight) -> str:
    _, incident = _open_incident_of(ctx, signal.dedup_key)
    if incident is None:
        fields = {"team": team, "incident_type": incident_type, "source": "monitoring",
                  "detection_method": "monitor", "description": signal.summary,
                  # A sender's clock may run ahead: never after the incident itself.
                  "detected_at": min(signal.started_at, ctx.now) if signal.started_at else None}
        # The alert's timeline note is written with the new incident, not by an UPDATE of it afterwards.
        incident, changes = open_incident(
            ctx.uow, alert["title"], alert["severity"], priority, ctx.actor, fields, ctx.now,
            before_save=lambda new: _note(new, ctx, f"Alert fired: {alert['title']}", signal, "firing"))
        fresh.append((incident, changes))
        ctx.touched[incident.id] = (incident, incident.version)
        ctx.uow.alerts.set_group_incident(ctx.integration["id"], signal.dedup_key, incident.id, ctx.now)
        _insert_alert(ctx, signal, alert, incident.id, "new_incident", weight)
        return "new_incident"
    existing = ctx.uow.alerts.find(ctx.integration["id"], signal.dedup_key, signal.fingerprint, incident.id)
    if existing is None:
        _insert_alert(ctx, signal, alert, incident.id, "deduplicated", weight)
        _note(incident, ctx, f"Alert fired: {alert['title']}", signal, "firing")
        return "deduplicated"
    values = {"status": "firing", "resolved_at": None, "payload": alert["payload"]}
    due = existing["last_noted_at"] is None or ctx.now - existing["last_noted_at"] >= NOTE_EVERY
    refired = existing["status"] == "resolved"
    if due or refired:
        values["last_noted_at"] = ctx.now
        verb = "fired again" if refired else f"still firing ({existing['count'] + weight} times)"
        _note(incident, ctx, f"Alert {verb}: {alert['title']}", signal, "firing")
    ctx.uow.alerts.bump(existing["id"], weight, ctx.now, values)
    return "deduplicated"


def _resolve(ctx: _Context, signal: AlertSignal) -> str:
    _, incident = _open_incident_of(ctx, signal.dedup_key)
    if incident is None:
        return "unmatched"
    existing = ctx.uow.alerts.find(ctx.integration["id"], signal.dedup_key, signal.fingerprint, incident.id)
    if existing is None or existing["status"] == "resolved":
        return "unmatched"
    ctx.uow.alerts.change(existing["id"], {"status": "resolved", "resolved_at": ctx.now, "last_seen": ctx.now})
    _note(incident, ctx, f"Alert resolved: {existing['title']}", signal, "resolved")
    if ctx.uow.alerts.firing_count(incident.id) == 0:
        if ctx.integration["auto_resolve"]:
            incident.resolve(ctx.actor, ctx.now, "fixed", "All alerts resolved at the source.")
        else:
            incident.note("note_added", "All alerts resolved at the source; auto-resolve is off for "
                          f"{ctx.integration['name']}.", ctx.actor, ctx.now, timeline_kind="note")
    return "resolved"


def _acknowledge(ctx: _Context, signal: AlertSignal) -> str:
    _, incident = _open_incident_of(ctx, signal.dedup_key)
    if incident is None:
        return "unmatched"
    if incident.acknowledged_at is None and incident.status in ("new", "assigned"):
        incident.acknowledge(ctx.actor, ctx.now)
    return "acknowledged"


def _note(incident: Incident, ctx: _Context, summary: str, signal: AlertSignal, status: str) -> None:
    incident.note("alert_received", summary, ctx.actor, ctx.now, timeline_kind="alert",
                  detail={"integration": ctx.integration["name"], "source": ctx.source, "status": status,
                          "dedup_key": signal.dedup_key, "fingerprint": signal.fingerprint,
                          "links": signal.links})
