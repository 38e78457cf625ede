"""The CloudEvents envelope and each service's event declarations."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from libs.common.catalog import EventCatalog, EventDataError, EventSpec, consumes, publishes
from libs.common.envelope import EnvelopeError, Event


def sample() -> Event:
    return Event(type="firebreak.incident.created.v1", source="/firebreak/incident", subject="inc-1",
                 sequence=7, correlation_id="req-9", data={"id": "inc-1", "title": "Down"})


def test_round_trip_through_amqp_headers():
    event = sample()
    parsed = Event.from_message(event.headers(), event.body().encode())
    assert parsed == event


def test_headers_are_binary_mode_cloudevents_the_sdk_accepts():
    from cloudevents.v1.http import from_http

    event = sample()
    parsed = from_http({**event.headers(), "content-type": "application/json"}, event.body())
    assert parsed["id"] == event.id
    assert parsed["type"] == event.type
    assert parsed["subject"] == "inc-1"
    assert parsed["sequence"] == "7"
    assert parsed.data == event.data


@pytest.mark.parametrize("headers, body, message", [
    ({"ce-id": "1", "ce-source": "s", "ce-type": "t"}, b"{}", "ce-specversion"),
    ({"ce-specversion": "0.3", "ce-id": "1", "ce-source": "s", "ce-type": "t"}, b"{}", "specversion"),
    ({"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t"}, b"[1]", "JSON object"),
    ({"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t"}, b"{", "not JSON"),
    ({"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t", "ce-sequence": "x"}, b"{}", "bad"),
])
def test_malformed_messages_are_refused_with_reason(headers, body, message):
    with pytest.raises(EnvelopeError, match=message):
        Event.from_message(headers, body)


class Facts(Schema):
    id = fields.String(required=True)


def test_catalog_checks_outgoing_strictly_and_reads_incoming_tolerantly():
    spec = EventSpec("firebreak.sla.breached.v1", Facts, "x")
    catalog = EventCatalog("sla", publishes=publishes(spec), consumes=consumes(
        EventSpec("firebreak.incident.created.v1", Facts, "y")))
    catalog.check_outgoing("firebreak.sla.breached.v1", {"id": "1"})
    with pytest.raises(EventDataError):
        catalog.check_outgoing("firebreak.sla.breached.v1", {"id": "1", "extra": 2})
    with pytest.raises(EventDataError):
        catalog.check_outgoing("firebreak.sla.met.v1", {"id": "1"})
    assert catalog.load_incoming("firebreak.incident.created.v1", {"id": "1", "new": True}) == {"id": "1"}
    with pytest.raises(EventDataError):
        catalog.load_incoming("firebreak.incident.created.v1", {})


def test_a_service_may_only_publish_its_own_types():
    with pytest.raises(ValueError, match="cannot publish"):
        EventCatalog("sla", publishes=publishes(EventSpec("firebreak.incident.created.v1", Facts, "x")))
    with pytest.raises(ValueError, match="firebreak"):
        EventCatalog("sla", publishes=publishes(EventSpec("sla.Breached", Facts, "x")))


def test_every_service_declares_consistent_events():
    from firebreak.registry import definitions

    published = {t for s in definitions().values() for t in s.catalog.publishes}
    for service in definitions().values():
        for event_type in service.catalog.consumes:
            assert event_type in published, f"{service.name} consumes {event_type} nobody publishes"
        assert set(service.event_handlers()) == set(service.catalog.consumes)


def test_events_doc_is_in_step_with_declarations():
    from pathlib import Path

    from firebreak.events_doc import render_catalog

    doc = Path(__file__).resolve().parents[3] / "docs" / "events.md"
    assert doc.read_text() == render_catalog(), "run `firebreak events-doc`"
