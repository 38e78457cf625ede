"""Known label sets exist at zero from the start; one metric family per name however many services report it."""

from __future__ import annotations

from prometheus_client import REGISTRY

from firebreak.registry import definitions
from libs.common.metrics import ScrapeTimeGauge, render


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_every_known_label_set_is_at_zero_before_the_first_event():
    for service in definitions().values():  # importing each service's metrics, as a process start does
        service.blueprints()
    for target in ("response", "resolution"):
        for priority in ("critical", "high", "medium", "low"):
            assert _value("firebreak_sla_breaches_total", target=target, priority=priority) is not None
            for outcome in ("met", "breached"):
                assert _value("firebreak_sla_evaluations_total", target=target, priority=priority,
                              outcome=outcome) is not None
    for severity in ("critical", "major", "moderate", "minor", "unknown"):
        assert _value("firebreak_incident_time_to_acknowledge_seconds_count", severity=severity,
                      priority="high") is not None
        assert _value("firebreak_incident_time_to_resolve_seconds_count", severity=severity,
                      priority="low") is not None
    for kind in ("created", "acknowledged", "assigned", "resolved", "closed"):
        assert _value("firebreak_incident_transitions_total", kind=kind) is not None
    for source in ("alertmanager", "grafana", "datadog", "generic", "pagerduty", "heartbeat"):
        for outcome in ("new_incident", "deduplicated", "resolved", "rejected"):
            assert _value("firebreak_alerts_received_total", source=source, outcome=outcome) is not None


def test_service_runtime_creates_its_event_series(tmp_path):
    service = definitions()["sla"]
    runtime = service.runtime({"FIREBREAK_DATA_DIR": str(tmp_path), "AMQP_URL": "memory://"})
    try:
        for event_type in service.catalog.publishes:
            assert _value("firebreak_events_published_total", service="sla", type=event_type) is not None
        for event_type in service.catalog.consumes:
            assert _value("firebreak_events_consumed_total", service="sla", type=event_type,
                          outcome="processed") is not None
    finally:
        runtime.dispose()


def test_acknowledge_buckets_start_at_seconds():
    assert _value("firebreak_incident_time_to_acknowledge_seconds_bucket", severity="major", priority="high",
                  le="5.0") is not None
    assert _value("firebreak_incident_time_to_resolve_seconds_bucket", severity="major", priority="high",
                  le="604800.0") is not None


def test_one_family_per_name_across_services():
    gauges = [ScrapeTimeGauge("firebreak_outbox_pending", "Events committed but not yet confirmed by the broker.",
                              {"service": name}, lambda: 0.0) for name in ("incident", "sla", "notify")]
    text = render(gauges)[0].decode()
    assert text.count("# HELP firebreak_outbox_pending ") == 1
    assert text.count("# TYPE firebreak_outbox_pending ") == 1
    for name in ("incident", "sla", "notify"):
        assert f'firebreak_outbox_pending{{service="{name}"}} 0.0' in text
