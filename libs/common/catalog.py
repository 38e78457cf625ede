"""Each service's one declaration of the event types it publishes and consumes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

TYPE_PATTERN = re.compile(r"^firebreak\.(?P<service>[a-z]+)\.(?P<event>[a-z_]+)\.v(?P<version>\d+)$")


class EventDataError(ValueError):
    """An event's data does not match its declared schema."""

    def __init__(self, event_type: str, errors: dict[str, Any]):
        super().__init__(f"{event_type}: {errors}")
        self.event_type = event_type
        self.errors = errors


@dataclass(frozen=True)
class EventSpec:
    type: str
    schema: type[Schema]
    summary: str


@dataclass
class EventCatalog:
    """What one service publishes and consumes, with a marshmallow schema per type."""

    service: str
    publishes: dict[str, EventSpec] = field(default_factory=dict)
    consumes: dict[str, EventSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Schema instances are reusable and costly to build: one per type, made once.
        self._strict = {t: spec.schema(unknown=RAISE) for t, spec in self.publishes.items()}
        self._tolerant = {t: spec.schema(unknown=EXCLUDE) for t, spec in self.consumes.items()}
        for spec in self.publishes.values():
            match = TYPE_PATTERN.match(spec.type)
            if not match or match["service"] != self.service:
                raise ValueError(
                    f"{self.service} cannot publish {spec.type!r}: expected firebreak.{self.service}.<event>.vN")
        for spec in self.consumes.values():
            if not TYPE_PATTERN.match(spec.type):
                raise ValueError(f"{spec.type!r} is not a firebreak event type")

    @property
    def source(self) -> str:
        return f"/firebreak/{self.service}"

    def check_outgoing(self, event_type: str, data: dict[str, Any]) -> None:
        schema = self._strict.get(event_type)
        if schema is None:
            raise EventDataError(event_type, {"type": [f"{self.service} does not declare publishing it"]})
        errors = schema.validate(data)
        if errors:
            raise EventDataError(event_type, errors)

    def load_incoming(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        schema = self._tolerant.get(event_type)
        if schema is None:
            raise EventDataError(event_type, {"type": [f"{self.service} does not consume it"]})
        try:
            # A tolerant reader: newer publishers may add fields.
            return schema.load(data)
        except ValidationError as exc:
            raise EventDataError(event_type, exc.messages) from None


def publishes(*specs: EventSpec) -> dict[str, EventSpec]:
    return {spec.type: spec for spec in specs}


consumes = publishes
