"""The idempotent consumer: inbox row and handler effects in one transaction, ack after commit."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kombu import Connection, Producer
from kombu.mixins import ConsumerMixin

from libs.common.catalog import EventDataError
from libs.common.db import dialect_insert, is_transient
from libs.common.envelope import EnvelopeError, Event, utcnow
from libs.common.log import correlation_id, new_correlation_id
from libs.common.metrics import consumer_failures, consumer_waits, dead_lettered, dlq_messages, events_consumed
from libs.common.runtime import ServiceRuntime
from libs.common.topology import DLX, dead_letter_queue, declare, dlq_name
from libs.common.uow import UnitOfWork

logger = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Event, dict[str, Any]], None]
DLQ_GAUGE_EVERY_SECONDS = 15.0
OUTAGE_MAX_BACKOFF_SECONDS = 5.0


class EventConsumer(ConsumerMixin):
    """Consumes the service's queue; each event's effects happen once however often it arrives."""

    def __init__(self, runtime: ServiceRuntime, handlers: dict[str, Handler],
                 uow_factory: Callable[[], UnitOfWork] | None = None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.handlers = handlers
        self.uow_factory = uow_factory or (lambda: UnitOfWork(runtime))
        self.connection = Connection(self.settings.amqp_url, heartbeat=self.settings.heartbeat)
        self._dl_connection: Connection | None = None
        self._dl_producer: Producer | None = None
        # Quorum queues count redeliveries in x-delivery-count; the memory transport does not.
        self._local_attempts: OrderedDict[str, int] = OrderedDict()
        self._channel = None
        self._last_dlq_check = 0.0
        self._live = None  # the connection kombu consumes on, kept alive while an outage is waited out
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._claim = None
        self._consumed: dict[tuple[str, str], Any] = {}  # metric children by (type, outcome), looked up once

    # -- kombu hooks -------------------------------------------------------
    def get_consumers(self, Consumer, channel):  # noqa: N803 - kombu's signature
        self._channel = channel
        queue = declare(channel, self.runtime.service, sorted(self.handlers), self.settings.delivery_limit)
        return [Consumer(queues=[queue], on_message=self.on_message, prefetch_count=self.settings.prefetch)]

    def on_consume_ready(self, connection, channel, consumers, **kwargs) -> None:
        self._live = connection

    def on_connection_revived(self) -> None:
        self.connected.set()
        logger.info("consumer connected", extra={"fields": {"service": self.runtime.service}})

    def on_connection_error(self, exc, interval) -> None:
        self.connected.clear()
        logger.warning("broker unreachable, retrying",
                       extra={"fields": {"service": self.runtime.service, "error": repr(exc), "in": interval}})

    def on_consume_end(self, connection, channel) -> None:
        self.connected.clear()

    def on_iteration(self) -> None:
        now = time.monotonic()
        if self._channel is not None and now - self._last_dlq_check > DLQ_GAUGE_EVERY_SECONDS:
            self._last_dlq_check = now
            try:
                _, count, _ = dead_letter_queue(self.runtime.service)(self._channel).queue_declare(passive=True)
                dlq_messages.labels(self.runtime.service).set(count)
            except Exception:  # noqa: BLE001 - a gauge must never stop consumption
                logger.debug("dlq depth check failed", exc_info=True)

    # -- message handling ---------------------------------------------------
    def on_message(self, message) -> None:
        try:
            event = Event.from_message(message.headers, message.body)
        except EnvelopeError as exc:
            self.dead_letter(message, "malformed", str(exc), event_type="unknown")
            return
        token = correlation_id.set(event.correlation_id or new_correlation_id())
        try:
            self._dispatch(message, event)
        finally:
            correlation_id.reset(token)

    def _dispatch(self, message, event: Event) -> None:
        handler = self.handlers.get(event.type)
        if handler is None:
            self.dead_letter(message, "unhandled", f"{self.runtime.service} has no handler for {event.type}",
                             event_type=event.type)
            return
        try:
            data = self.runtime.catalog.load_incoming(event.type, event.data)
        except EventDataError as exc:
            self.dead_letter(message, "invalid", f"data does not match schema: {exc.errors}", event_type=event.type)
            return
        try:
            outcome = self._handle_through_outages(event, data, handler)
        except Exception as exc:  # noqa: BLE001 - the handler's failure is recorded, not fatal
            self._failed(message, event, exc)
            return
        if outcome is None:  # stopping mid-outage: unacked, so the broker redelivers it later
            return
        message.ack()
        self._local_attempts.pop(event.id, None)
        self._count(event.type, outcome)

    def _count(self, event_type: str, outcome: str) -> None:
        child = self._consumed.get((event_type, outcome))
        if child is None:
            child = self._consumed[(event_type, outcome)] = events_consumed.labels(
                self.runtime.service, event_type, outcome)
        child.inc()

    def _claim_statement(self):
        # Built once: values go as parameters, so SQLAlchemy finds the compiled statement by a cache key
        # it memoised on this object instead of building the statement and its key per event.
        if self._claim is None:
            inbox = self.runtime.tables.inbox
            self._claim = dialect_insert(self.runtime.engine)(inbox).on_conflict_do_nothing(
                index_elements=["event_id"]).returning(inbox.c.event_id)
        return self._claim

    def handle(self, event: Event, data: dict[str, Any], handler: Handler) -> str:
        """Run the handler once per event id; return 'processed' or 'duplicate'."""
        claim = self._claim_statement()
        with self.uow_factory() as uow:
            # One round trip both claims the event id and tells whether it was seen before;
            # a concurrent twin waits on the row lock and then finds it taken.
            row = {"event_id": event.id, "type": event.type, "subject": event.subject, "received_at": utcnow()}
            if uow.session.execute(claim, row).first() is None:
                return "duplicate"
            handler(uow, event, data)
            uow.commit()
        return "processed"

    def _handle_through_outages(self, event: Event, data: dict[str, Any], handler: Handler) -> str | None:
        """Handle, holding the event while the database is unreachable or contended; None if told to stop.

        An outage is not the event's fault, so it neither requeues the message (a quorum queue counts
        that against x-delivery-limit) nor spends an attempt: consumption simply pauses until the
        database answers. Only failures of the handler itself count towards the dead-letter queue.
        """
        delay = 0.1
        while True:
            try:
                return self.handle(event, data, handler)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                consumer_waits.labels(self.runtime.service).inc()
                logger.warning("database unavailable; holding the event until it answers", extra={"fields": {
                    "service": self.runtime.service, "event_id": event.id, "type": event.type,
                    "error": f"{type(exc).__name__}: {str(exc)[:300]}", "in": delay}})
            if not self._pause(delay):
                return None
            delay = min(delay * 2, OUTAGE_MAX_BACKOFF_SECONDS)

    def _pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`, keeping the broker connection's heartbeats going; False if stopping."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stop.wait(min(left, 1.0)) or self.should_stop:
                return False
            if self._live is not None:
                try:
                    self._live.heartbeat_check()
                except Exception:  # noqa: BLE001 - a dead connection is noticed by kombu's own loop
                    logger.debug("heartbeat during outage failed", exc_info=True)
        return not (self._stop.is_set() or self.should_stop)

    def _failed(self, message, event: Event, exc: Exception) -> None:
        consumer_failures.labels(self.runtime.service, event.type).inc()
        attempts = self._attempts(message, event.id)
        logger.warning("handler failed", exc_info=exc, extra={"fields": {
            "service": self.runtime.service, "event_id": event.id, "type": event.type, "attempt": attempts}})
        if attempts >= self.settings.delivery_limit:
            self._local_attempts.pop(event.id, None)
            self.dead_letter(message, "handler_failed", f"{type(exc).__name__}: {exc}",
                             event_type=event.type, attempts=attempts)
            return
        time.sleep(min(0.1 * 2 ** (attempts - 1), 2.0))
        message.requeue()

    def _attempts(self, message, event_id: str) -> int:
        local = self._local_attempts.get(event_id, 0) + 1
        self._local_attempts[event_id] = local
        self._local_attempts.move_to_end(event_id)
        while len(self._local_attempts) > 10_000:
            self._local_attempts.popitem(last=False)
        delivered = int((message.headers or {}).get("x-delivery-count", 0) or 0) + 1
        return max(local, delivered)

    def dead_letter(self, message, reason: str, error: str, event_type: str, attempts: int = 1) -> None:
        """Copy the message to the service's DLQ with why, confirmed, then ack the original."""
        headers = dict(message.headers or {})
        headers.update({
            "x-firebreak-service": self.runtime.service,
            "x-firebreak-reason": reason,
            "x-firebreak-error": error[:2000],
            "x-firebreak-attempts": attempts,
            "x-firebreak-dead-lettered-at": utcnow().isoformat(),
        })
        self._dead_letter_producer().publish(
            message.body,
            exchange=DLX,
            routing_key=dlq_name(self.runtime.service),
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            delivery_mode=2,
            retry=True,
            retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 0.5},
        )
        message.ack()
        dead_lettered.labels(self.runtime.service, reason).inc()
        events_consumed.labels(self.runtime.service, event_type, "dead_lettered").inc()
        logger.error("event dead-lettered", extra={"fields": {
            "service": self.runtime.service, "reason": reason, "error": error, "type": event_type}})

    def _dead_letter_producer(self) -> Producer:
        # A connection of its own: waiting for a confirm on the consuming channel could
        # dispatch the next delivery re-entrantly.
        if self._dl_producer is None or self._dl_connection is None or not self._dl_connection.connected:
            self._dl_connection = Connection(self.settings.amqp_url, heartbeat=0,
                                             transport_options={"confirm_publish": True})
            self._dl_producer = Producer(self._dl_connection.channel())
        return self._dl_producer

    def run_until(self, stop: threading.Event) -> None:
        """Consume until `stop` is set."""
        self._stop = stop
        watcher = threading.Thread(target=lambda: (stop.wait(), setattr(self, "should_stop", True)), daemon=True)
        watcher.start()
        try:
            self.run()
        finally:
            if self._dl_connection is not None:
                self._dl_connection.release()
            self.connection.release()

