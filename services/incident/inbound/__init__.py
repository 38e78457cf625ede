"""The events the incident service consumes: one module per publishing service, gathered here."""

from __future__ import annotations

from libs.common.catalog import EventSpec
from libs.common.consumer import Handler
from services.incident.inbound import escalation, notify, postmortem

_SOURCES = (escalation, notify, postmortem)
SPECS: tuple[EventSpec, ...] = tuple(spec for source in _SOURCES for spec in source.SPECS)


def event_handlers() -> dict[str, Handler]:
    """Handler per consumed event type."""
    handlers: dict[str, Handler] = {}
    for source in _SOURCES:
        handlers.update(source.handlers())
    return handlers
