"""The outbox relay: publishes committed events with pipelined publisher confirms, then marks them sent."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from kombu import Connection, Producer
from sqlalchemy import DateTime, bindparam, delete, select, update

from libs.common.db import is_sqlite
from libs.common.envelope import utcnow
from libs.common.faults import pause_point
from libs.common.metrics import events_published
from libs.common.runtime import ServiceRuntime
from libs.common.topology import EVENTS
from libs.common.wakeup import OUTBOX_CHANNEL, Wakeup, listener

logger = logging.getLogger(__name__)

OUTBOX_RETENTION = timedelta(days=1)
PURGE_EVERY_SECONDS = 60.0


class PublishNotConfirmed(RuntimeError):
    """The broker nacked a message or did not confirm it in time."""


class ConfirmingPublisher:
    """Publishes a batch, then waits once for the broker's confirms of the whole batch."""

    def __init__(self, connection: Connection, confirm_timeout: float = 30.0):
        self.connection = connection
        self.channel = connection.channel()
        self.producer = Producer(self.channel, exchange=EVENTS)
        self.confirm_timeout = confirm_timeout
        # Only a real AMQP broker confirms; kombu's memory transport delivers synchronously.
        self.confirms = connection.transport.driver_type == "amqp"
        self._next_tag = 0
        self._pending: set[int] = set()
        self._nacked: set[int] = set()
        if self.confirms:
            self.channel.confirm_select()
            self.channel.events["basic_ack"].add(self._on_ack)
            self.channel.events["basic_nack"].add(self._on_nack)

    def _settle(self, tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._pending if t <= tag} if multiple else {tag} & self._pending
        self._pending -= settled
        return settled

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked |= self._settle(tag, multiple)

    def publish(self, messages: list[tuple[str, dict, str]]) -> None:
        """Publish (routing_key, headers, body) triples; return once all are confirmed."""
        self._pending.clear()
        self._nacked.clear()
        # What Producer.publish ends in, without its per-message work (declare checks, retry wrapper, kwargs):
        # the bodies are JSON text already and the producer declared the exchange once.
        channel, exchange = self.channel, EVENTS.name
        for routing_key, headers, body in messages:
            message = channel.prepare_message(body.encode(), None, "application/json", "utf-8", headers,
                                              {"delivery_mode": 2, "message_id": headers.get("ce-id")})
            channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
            self._next_tag += 1
            if self.confirms:
                self._pending.add(self._next_tag)
        deadline = time.monotonic() + self.confirm_timeout
        while self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._pending)} message(s) not confirmed in time")
            try:
                self.connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        if self._nacked:
            raise PublishNotConfirmed(f"broker nacked {len(self._nacked)} message(s)")


class Relay:
    """Moves events from the service's outbox to the broker, in outbox order, at least once."""

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime
        self.settings = runtime.settings
        self.outbox = runtime.tables.outbox
        self._last_purge = 0.0
        self._take = self._take_statement()

    def _take_statement(self):
        """Lock a batch of unsent rows and mark them sent, returning them: one statement, built once."""
        outbox = self.outbox
        batch = (select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
                 .limit(self.settings.relay_batch))
        if not is_sqlite(self.runtime.engine):
            # Several relays share the outbox; each row is published by the one that locked it.
            batch = batch.with_for_update(skip_locked=True)
        return (update(outbox).where(outbox.c.id.in_(batch))
                .values(published_at=bindparam("now", type_=DateTime(timezone=True)))
                .returning(outbox.c.id, outbox.c.type, outbox.c.headers, outbox.c.body))

    def relay_batch(self, publisher: ConfirmingPublisher) -> int:
        """Publish one batch of unsent events; return how many were sent."""
        # The rows are marked sent in the transaction that locks them, which commits only after the broker
        # confirmed them all: a failed publish or a crash rolls the mark back. No SELECT, no ORM session.
        with self.runtime.engine.begin() as conn:
            rows = sorted(conn.execute(self._take, {"now": utcnow()}).all(), key=lambda row: row.id)
            if not rows:
                return 0
            pause_point("relay.before_publish", self.settings.fault_pause, self.settings.fault_dir)
            publisher.publish([(row.type, row.headers, row.body) for row in rows])
            pause_point("relay.after_publish", self.settings.fault_pause, self.settings.fault_dir)
        for row in rows:
            events_published.labels(self.runtime.service, row.type).inc()
        return len(rows)

    def purge_published(self) -> int:
        """Drop rows published more than a day ago; the outbox is a queue, not an archive."""
        outbox = self.outbox
        with self.runtime.session_factory() as session, session.begin():
            result = session.execute(
                delete(outbox).where(outbox.c.published_at < utcnow() - OUTBOX_RETENTION)
            )
        return result.rowcount or 0

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set, reconnecting with backoff when the broker goes away."""
        # One listener for the relay's life: it outlives broker reconnects and reconnects on its own.
        wakeup = listener(self.runtime.engine, OUTBOX_CHANNEL, self.settings.wakeups)
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    with Connection(self.settings.amqp_url, heartbeat=self.settings.heartbeat) as conn:
                        conn.ensure_connection(max_retries=1)
                        publisher = ConfirmingPublisher(conn)
                        backoff = 0.5
                        logger.info("relay connected", extra={"fields": {"service": self.runtime.service}})
                        self._loop(conn, publisher, stop, wakeup)
                except Exception as exc:  # noqa: BLE001 - any failure: wait, reconnect, retry the batch
                    logger.warning("relay error, retrying",
                                   extra={"fields": {"service": self.runtime.service, "error": repr(exc)}})
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
        finally:
            wakeup.close()

    def idle_wait(self, confirms: bool) -> float:
        """The longest idle wait with a live listener: the poll interval, but short enough for AMQP heartbeats."""
        wait = self.settings.wakeup_poll_seconds
        if confirms and self.settings.heartbeat:
            # kombu's heartbeat_check must run at least every heartbeat/2 s or the broker drops us.
            wait = min(wait, self.settings.heartbeat / 2)
        return wait

    def _loop(self, conn: Connection, publisher: ConfirmingPublisher, stop: threading.Event,
              wakeup: Wakeup) -> None:
        idle = self.idle_wait(publisher.confirms)
        while not stop.is_set():
            if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
                self._last_purge = time.monotonic()
                self.purge_published()
            sent = self.relay_batch(publisher)
            # A full batch may leave more behind. Anything committed since this batch's statement has notified
            # the listener, so a partial batch waits for that; a poller (no listener) looks again at once.
            if sent >= self.settings.relay_batch or (sent and not wakeup.listening):
                continue
            if publisher.confirms:
                conn.heartbeat_check()
            # Woken by a commit's NOTIFY; without a listener (SQLite, database away) this polls.
            wakeup.wait(stop, idle, min(idle, self.settings.relay_idle_seconds))
