"""The job performers (one call per attempt, senders injected) and the recorder of each attempt's outcome."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from libs.common.clock import Clock
from libs.common.jobs import Job, JobOutcome, PermanentFailure
from services.notify.adapters import metrics
from services.notify.adapters.repository import DeliveryRepository
from services.notify.adapters.senders import AppriseSender, HttpSender, SmtpSender
from services.notify.domain.messages import (
    CHANNELS,
    CHAT_BODIES,
    Message,
    apprise_parts,
    email_parts,
    fold,
    webhook_body,
)
from services.notify.domain.signing import SIGNATURE_HEADER, sign

STATUS_OF = {"succeeded": "sent", "retrying": "failed", "dead": "dead"}


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class Performers:
    """Sends a job's message (its messages folded into one digest) over the job's channel."""

    def __init__(self, http: HttpSender, smtp: SmtpSender, apprise: AppriseSender, clock: Clock):
        self.http, self.smtp, self.apprise, self.clock = http, smtp, apprise, clock

    def mapping(self) -> dict[str, Any]:
        """Performer per job kind (the channel)."""
        return dict.fromkeys(CHANNELS, self.perform)

    def perform(self, job: Job) -> dict[str, Any] | None:
        payload = job.payload
        kind, address = payload["kind"], payload["address"]
        message = fold([Message.from_dict(m) for m in payload["messages"]])
        if kind == "webhook":
            body = _json(webhook_body(message, job.key, payload.get("recipient", "")))
            headers = {"Idempotency-Key": job.key}
            if payload.get("secret"):
                headers[SIGNATURE_HEADER] = sign(payload["secret"], body, int(self.clock.now().timestamp()))
            return self.http.post(address, body, headers)
        if kind in CHAT_BODIES:
            return self.http.post(address, _json(CHAT_BODIES[kind](message)), {"Idempotency-Key": job.key})
        if kind == "email":
            subject, text = email_parts(message)
            return self.smtp.send(address, subject, text, job.key)
        if kind == "apprise":
            title, body_text = apprise_parts(message)
            return self.apprise.send(address, title, body_text)
        raise PermanentFailure(f"unknown channel {kind!r}")


def record(session: Session, job: Job, outcome: JobOutcome) -> None:
    """Bring the job's delivery records up to date with the attempt, in the outcome's transaction."""
    status = STATUS_OF.get(outcome.status, outcome.status)
    values: dict[str, Any] = {"status": status, "attempts": outcome.attempts, "last_error": outcome.error,
                              "updated_at": outcome.at}
    if status == "sent":
        values["sent_at"] = outcome.at
    elif status == "failed" and outcome.retry_at is not None:
        values["due_at"] = outcome.retry_at
    DeliveryRepository(session).mark_job(job.key, values)
    channel = job.payload.get("kind", job.kind)
    if status == "sent":
        metrics.notifications.labels(channel, "sent").inc()
        since = datetime.fromisoformat(job.payload["since"]) if job.payload.get("since") else job.due_at
        metrics.handoff_latency.labels(channel).observe(max(0.0, (outcome.at - since).total_seconds()))
    elif status == "failed":
        metrics.notifications.labels(channel, "retried").inc()
        metrics.retries.labels(channel).inc()
    elif status == "dead":
        metrics.notifications.labels(channel, "dead").inc()
        metrics.dead.labels(channel).inc()
