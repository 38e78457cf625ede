"""Turning a cause (an event, a page, a manual send) into delivery records and leased jobs, once each."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.notify.adapters.templating import TemplateLimitError
from services.notify.domain import timing
from services.notify.domain.incident import IncidentCopy
from services.notify.domain.messages import Message
from services.notify.domain.signing import AckToken
from services.notify.domain.templates import EVENT_SUMMARIES, default_template
from services.notify.service_layer.targets import Target

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cause:
    """Why messages go out: the event (or manual request) id, its type and short name, when, and its data."""

    id: str
    type: str
    name: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    category: str = "update"
    text: str | None = None  # a manual message's own words
    template_id: str | None = None
    chain: str | None = None  # a page's escalation chain (escalation_id)


def digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def page_group(incident_id: str, chain: str | None = None) -> str:
    """The job and delivery group of one escalation chain's pages: its end, or an acknowledgement, cancels it."""
    return f"{pages_of(incident_id)}{chain or '-'}"


def pages_of(incident_id: str) -> str:
    """The prefix of every page group of an incident."""
    return f"page:{incident_id}:"


def ack_url(uow, incident_id: str, user: str, now: datetime) -> str:
    """A signed link that acknowledges `incident_id` as `user` until it expires."""
    settings = uow.settings
    expires = int((now + timedelta(seconds=settings.ack_ttl_seconds)).timestamp())
    token = AckToken(incident_id, user, expires).encode(uow.ack_secret())
    return f"{settings.public_url}/v1/notifications/ack/{token}"


def render(uow, cause: Cause, incident: IncidentCopy, target: Target, link: str | None,
           strict: bool = False) -> Message:
    """One target's message: the cause's template, a stored one, or the default (also when one fails, unless strict)."""
    chosen = uow.templates.get(cause.template_id) if cause.template_id else None
    chosen = chosen or uow.templates.for_channel(cause.category, target.kind)
    subject, body = (chosen["subject"], chosen["body"]) if chosen else default_template(cause.category, target.kind)
    context = {"incident": incident.view(), "ack_url": link, "message": cause.text or "",
               "recipient": {"name": target.recipient, "user": target.user, "channel": target.kind},
               "event": {"type": cause.type, "name": cause.name, "at": cause.at.isoformat(), "data": cause.data,
                         "summary": EVENT_SUMMARIES.get(cause.name, cause.name)}}
    try:
        text_subject, text = uow.renderer.render(subject, context), uow.renderer.render(body, context)
    except TemplateLimitError as exc:
        if strict:
            raise
        logger.warning("template failed; the built-in one is used", extra={"fields": {"error": str(exc)}})
        subject, body = default_template(cause.category, target.kind)
        text_subject, text = uow.renderer.render(subject, context), uow.renderer.render(body, context)
    return Message(subject=text_subject.strip().replace("\n", " ")[:300], text=text, event_type=cause.type,
                   at=cause.at.isoformat(), incident=incident.view(), category=cause.category, ack_url=link)


def send(uow, cause: Cause, incident: IncidentCopy, targets: list[Target]) -> int:
    """Record and schedule one delivery per target; a target already recorded for this cause is skipped."""
    now = uow.clock.now()
    made = 0
    for target in targets:
        method_id = digest(target.kind, target.address)
        key = "d:" + digest(cause.category, cause.id, target.recipient, method_id)
        link = ack_url(uow, incident.id, target.user, now) if target.user and cause.category == "page" else None
        message = render(uow, cause, incident, target, link)
        critical = timing.is_critical(cause.category, incident.view())
        group = page_group(incident.id, cause.chain) if cause.category == "page" else \
            "g:" + digest(incident.id, target.recipient, method_id)
        due = timing.due_at(now, target.delay_seconds if cause.category == "page" else 0, target.quiet, critical)
        recorded = uow.deliveries.add({
            "key": key, "job_key": key, "group": group, "incident_id": incident.id, "event_id": cause.id[:100],
            "event_type": cause.type, "category": cause.category, "recipient": target.recipient[:200],
            "method_kind": target.kind, "address": target.shown_address[:500], "status": "pending", "attempts": 0,
            "event_at": cause.at, "due_at": due, "created_at": now, "updated_at": now})
        if not recorded:
            continue  # this cause already reached this recipient's method
        if cause.category == "update":  # rule-driven updates fold into digests; pages and manual sends do not
            job_key, due = _fold(uow, group, key, message, now, target, critical)
            uow.deliveries.joined(key, job_key, due)
            if job_key != key:
                made += 1
                continue
        payload = {"kind": target.kind, "address": target.address, "secret": target.secret,
                   "recipient": target.recipient, "since": max(cause.at, due).isoformat(),
                   "messages": [message.to_dict()]}
        uow.jobs.enqueue(uow.session, target.kind, key, payload, due_at=due, group=group)
        made += 1
    return made


def _fold(uow, group: str, key: str, message: Message, now: datetime, target: Target,
          critical: bool) -> tuple[str, datetime]:
    """Fold into the recipient's update still waiting, if any; else (key, when the new one is due)."""
    latest = uow.digests.latest(group)
    if latest is not None and latest["status"] == "pending" and latest["due_at"] > now:
        payload = dict(latest["payload"])
        payload["messages"] = [*payload.get("messages", []), message.to_dict()]
        if uow.digests.append(latest["key"], payload, now):
            return latest["key"], latest["due_at"]
    due = timing.digest_due(now, latest["due_at"] if latest else None, uow.settings.digest_seconds)
    return key, timing.due_at(due, 0, target.quiet, critical)
