"""Unit of work: one transaction holding a state change and the events it emits (the outbox)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from libs.common.envelope import Event, utcnow
from libs.common.log import correlation_id
from libs.common.runtime import ServiceRuntime


class UnitOfWork:
    """Open with `with uow:`; `emit` events; `commit` writes state and outbox rows together."""

    session: Session

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime

    def __enter__(self) -> UnitOfWork:
        self.session = self.runtime.session_factory()
        return self

    def __exit__(self, *exc_info) -> None:
        self.rollback()
        self.session.close()

    def emit(self, event_type: str, data: dict[str, Any], subject: str | None = None,
             sequence: int | None = None) -> Event:
        """Validate an event against the catalog and queue it in the outbox of this transaction."""
        self.runtime.catalog.check_outgoing(event_type, data)
        event = Event(
            type=event_type,
            source=self.runtime.catalog.source,
            data=data,
            subject=subject,
            sequence=sequence,
            correlation_id=correlation_id.get(),
        )
        # Values as parameters, not baked into the statement: one cached statement for every event.
        self.session.execute(self.runtime.tables.outbox.insert(), {
            "event_id": event.id, "type": event.type, "subject": event.subject, "headers": event.headers(),
            "body": event.body(), "created_at": utcnow()})
        return event

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
