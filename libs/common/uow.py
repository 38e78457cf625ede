"""Unit of work: one transaction holding a state change and the events it emits (the outbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from libs.common.clock import Clock
from libs.common.envelope import Event, utcnow
from libs.common.log import correlation_id
from libs.common.runtime import ServiceRuntime

# (type, data, subject, sequence), as uow.emit takes them.
EventRow = tuple[str, dict[str, Any], str | None, int | None]


class UnitOfWork:
    """Open with `with uow:`; `emit` events; `commit` writes state and outbox rows together."""

    session: Session

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime
        self._on_commit: list[Callable[[], None]] = []

    @property
    def clock(self) -> Clock:
        """The runtime's clock: where handlers take "now" from."""
        return self.runtime.clock

    def __enter__(self) -> UnitOfWork:
        self.session = self.runtime.session_factory()
        self._on_commit = []
        return self

    def __exit__(self, *exc_info) -> None:
        self.rollback()
        self.session.close()

    def emit(self, event_type: str, data: dict[str, Any], subject: str | None = None,
             sequence: int | None = None) -> Event:
        """Validate an event against the catalog and queue it in the outbox of this transaction."""
        row, event = self._outbox_row(event_type, data, subject, sequence)
        # Values as parameters, not baked into the statement: one cached statement for every event.
        # The outbox's INSERT trigger wakes the relay at commit (PostgreSQL; see libs/common/wakeup.py).
        self.session.execute(self.runtime.tables.outbox.insert(), row)
        return event

    def emit_many(self, events: Iterable[EventRow]) -> list[Event]:
        """Validate (type, data, subject, sequence) events and queue them in the outbox in one INSERT."""
        built = [self._outbox_row(*event) for event in events]
        if built:
            self.session.execute(self.runtime.tables.outbox.insert(), [row for row, _ in built])
        return [event for _, event in built]

    def _outbox_row(self, event_type: str, data: dict[str, Any], subject: str | None,
                    sequence: int | None) -> tuple[dict[str, Any], Event]:
        # The catalog keeps one strict schema per published type, built once.
        self.runtime.catalog.check_outgoing(event_type, data)
        event = Event(type=event_type, source=self.runtime.catalog.source, data=data, subject=subject,
                      sequence=sequence, correlation_id=correlation_id.get())
        # Outbox bookkeeping stays on the wall clock: the relay's retention is measured by it.
        return {"event_id": event.id, "type": event.type, "subject": event.subject, "headers": event.headers(),
                "body": event.body(), "created_at": utcnow()}, event

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (metrics, wake-ups); dropped on rollback."""
        self._on_commit.append(action)

    def commit(self) -> None:
        self.session.commit()
        actions, self._on_commit = self._on_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        self.session.rollback()
        self._on_commit = []
