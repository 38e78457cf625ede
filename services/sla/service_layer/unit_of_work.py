"""The sla service's unit of work: its repositories and timers in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema

from libs.common.catalog import EventDataError
from libs.common.envelope import Event, utcnow
from libs.common.log import correlation_id
from libs.common.timers import TimerStore
from libs.common.uow import UnitOfWork
from services.sla.adapters.repository import CalendarRepository, PolicyRepository, SlaRepository

_schemas: dict[str, Schema] = {}


class SlaUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.slas = SlaRepository(self.session)
        self.policies = PolicyRepository(self.session)
        self.calendars = CalendarRepository(self.session)
        self.timers = TimerStore(self.runtime.tables.timers)
        self._on_commit: list[Callable[[], None]] = []
        return self

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (e.g. count a metric)."""
        self._on_commit.append(action)

    def commit(self) -> None:
        super().commit()
        actions, self._on_commit = self._on_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        super().rollback()
        self._on_commit = []

    def emit_many(self, events: list[tuple[str, dict[str, Any], str, int]]) -> None:
        """Validate (type, data, subject, sequence) events and queue them in the outbox in one statement."""
        if not events:
            return
        catalog = self.runtime.catalog
        rows = []
        for event_type, data, subject, sequence in events:
            schema = _schemas.get(event_type)
            if schema is None:
                if event_type not in catalog.publishes:
                    raise EventDataError(event_type, {"type": ["sla does not declare publishing it"]})
                schema = _schemas[event_type] = catalog.publishes[event_type].schema(unknown=RAISE)
            errors = schema.validate(data)
            if errors:
                raise EventDataError(event_type, errors)
            event = Event(type=event_type, source=catalog.source, data=data, subject=subject, sequence=sequence,
                          correlation_id=correlation_id.get())
            rows.append({"event_id": event.id, "type": event.type, "subject": event.subject,
                         "headers": event.headers(), "body": event.body(), "created_at": utcnow()})
        self.session.execute(self.runtime.tables.outbox.insert(), rows)
