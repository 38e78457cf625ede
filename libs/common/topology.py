"""The broker layout: one topic exchange, a quorum queue per service, its dead-letter queue."""

from __future__ import annotations

import logging

from amqp.exceptions import PreconditionFailed
from kombu import Exchange, Queue, binding

logger = logging.getLogger(__name__)

EVENTS = Exchange("firebreak.events", type="topic", durable=True)
DLX = Exchange("firebreak.dlx", type="direct", durable=True)


def queue_name(service: str) -> str:
    return f"firebreak.{service}"


def dlq_name(service: str) -> str:
    return f"firebreak.{service}.dlq"


def service_queue(service: str, event_types: list[str], delivery_limit: int) -> Queue:
    """The service's work queue, bound to exactly the types it consumes."""
    return Queue(
        queue_name(service),
        bindings=[binding(EVENTS, routing_key=t) for t in sorted(event_types)],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DLX.name,
            "x-dead-letter-routing-key": dlq_name(service),
            # RabbitMQ 3.10 sets no default: without it a crashing message loops forever.
            # The consumer dead-letters before this (with the error); this catches crashes mid-handler.
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        dlq_name(service),
        exchange=DLX,
        routing_key=dlq_name(service),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def declare(channel, service: str, event_types: list[str], delivery_limit: int) -> Queue:
    """Declare exchanges and the service's queues (idempotent); return the work queue."""
    EVENTS(channel).declare()
    DLX(channel).declare()
    dead_letter_queue(service)(channel).declare()
    queue = service_queue(service, event_types, delivery_limit)
    bound = queue(channel)
    try:
        bound.declare()
    except PreconditionFailed as exc:
        # Queue arguments cannot change in place (e.g. a new FIREBREAK_DELIVERY_LIMIT): keep
        # consuming from the queue as it is and say so, rather than crash-looping.
        logger.warning("queue exists with other arguments; using it as declared",
                       extra={"fields": {"queue": queue.name, "error": str(exc)}})
        bound.queue_declare(passive=True)
        for b in bound.bindings:
            b.bind(bound, channel=channel)
    return queue
