"""Inspecting, replaying and dropping a service's dead letters (`firebreak dlq`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kombu import Connection

from libs.common.topology import dead_letter_queue, dlq_name, queue_name

# Headers the consumer adds when it dead-letters, and those RabbitMQ adds; a replay starts afresh.
_DEAD_LETTER_HEADERS = ("x-firebreak-", "x-death", "x-first-death", "x-last-death", "x-delivery-count")


@dataclass(frozen=True)
class DeadLetter:
    event_id: str | None
    type: str | None
    subject: str | None
    reason: str | None
    error: str | None
    attempts: Any
    dead_lettered_at: str | None
    body: bytes
    headers: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "type": self.type, "subject": self.subject, "reason": self.reason,
                "error": self.error, "attempts": self.attempts, "dead_lettered_at": self.dead_lettered_at}


def _letter(message) -> DeadLetter:
    h = dict(message.headers or {})
    return DeadLetter(h.get("ce-id"), h.get("ce-type"), h.get("ce-subject"), h.get("x-firebreak-reason"),
                      h.get("x-firebreak-error"), h.get("x-firebreak-attempts"),
                      h.get("x-firebreak-dead-lettered-at"), message.body, h)


def _walk(url: str, service: str, visit: Callable[[DeadLetter], str], limit: int | None) -> list[DeadLetter]:
    """Get each dead letter once; `visit` says 'ack' (remove) or 'keep'. Kept ones return when the channel closes."""
    seen: list[DeadLetter] = []
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        dead_letter_queue(service)(channel).declare()
        try:
            while limit is None or len(seen) < limit:
                message = channel.basic_get(dlq_name(service), no_ack=False)
                if message is None:
                    break
                letter = _letter(message)
                seen.append(letter)
                if visit(letter) == "ack":
                    channel.basic_ack(message.delivery_tag)
        finally:
            channel.close()  # unacked (kept) letters go back to the dead-letter queue
    return seen


def list_dead_letters(url: str, service: str, limit: int = 100) -> list[DeadLetter]:
    """The dead letters of a service, oldest first, left where they are."""
    return _walk(url, service, lambda _letter: "keep", limit)


def replay(url: str, service: str, event_ids: Iterable[str] = ()) -> list[DeadLetter]:
    """Send dead letters (all, or those with these event ids) back to the service's own queue, confirmed.

    Only the service that dead-lettered an event gets it again (the default exchange, straight to its
    queue), and its inbox makes a replay of an event it already handled a no-op, so replaying is idempotent.
    """
    wanted = set(event_ids)
    replayed: list[DeadLetter] = []
    with Connection(url, transport_options={"confirm_publish": True}) as publisher:
        producer = publisher.Producer()

        def visit(letter: DeadLetter) -> str:
            if wanted and letter.event_id not in wanted:
                return "keep"
            headers = {k: v for k, v in letter.headers.items() if not k.startswith(_DEAD_LETTER_HEADERS)}
            producer.publish(letter.body, exchange="", routing_key=queue_name(service), headers=headers,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             retry=True)
            replayed.append(letter)
            return "ack"

        _walk(url, service, visit, None)
    return replayed


def drop(url: str, service: str, event_ids: Iterable[str] = (), everything: bool = False) -> list[DeadLetter]:
    """Remove dead letters for good: those with these event ids, or all of them with `everything`."""
    wanted = set(event_ids)
    if not wanted and not everything:
        raise ValueError("name the event ids to drop, or say everything")
    dropped: list[DeadLetter] = []

    def visit(letter: DeadLetter) -> str:
        if everything or letter.event_id in wanted:
            dropped.append(letter)
            return "ack"
        return "keep"

    _walk(url, service, visit, None)
    return dropped
