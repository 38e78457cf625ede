"""Commands and queries behind the API: manual notifications, template preview, the delivery log, ack links."""

from __future__ import annotations

import json
import uuid
from typing import Any

from libs.common.auth import Principal
from libs.common.errors import Forbidden, NotFound
from libs.common.resources import invalid
from services.notify.adapters.templating import TemplateLimitError
from services.notify.domain.incident import IncidentCopy
from services.notify.domain.messages import CHAT_BODIES, Message, email_parts, webhook_body
from services.notify.domain.signing import AckToken
from services.notify.events import ACK_REQUESTED
from services.notify.service_layer import dispatch
from services.notify.service_layer.config import TEMPLATES, check_recipient
from services.notify.service_layer.dispatch import Cause
from services.notify.service_layer.targets import Target, resolve
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork

MANUAL = "firebreak.notify.manual"


def _visible(uow: NotifyUnitOfWork, incident_id: str, principal: Principal) -> IncidentCopy:
    copy = uow.incidents.get(incident_id)
    if copy is None or not principal.can_see(copy.private, copy.team):
        raise NotFound(f"the notify service knows no incident {incident_id}")
    return copy


def notify_now(uow: NotifyUnitOfWork, body: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Send an update about an incident to the chosen recipients now (digest rules apply)."""
    with uow:
        copy = _visible(uow, body["incident_id"], principal)
        if body.get("template_id") and TEMPLATES.find_in(uow, body["template_id"]) is None:
            raise invalid("template_id", "no such template")
        for i, item in enumerate(body["recipients"]):
            check_recipient(item, i)
        targets = resolve(uow, body["recipients"])
        if not targets:
            raise invalid("recipients", "nobody to send to: no contact methods, team members or channels")
        request_id = str(uuid.uuid4())
        cause = Cause(request_id, MANUAL, "manual", uow.clock.now(), {"by": principal.user}, category="manual",
                      text=body.get("message") or "", template_id=body.get("template_id"))
        count = dispatch.send(uow, cause, copy, targets)
        uow.commit()
    return {"id": request_id, "incident_id": copy.id, "deliveries": count}


def preview(uow: NotifyUnitOfWork, template_ref: str, incident_id: str, principal: Principal) -> dict[str, Any]:
    """A template rendered against an incident, with the body its channel would carry."""
    with uow:
        template = TEMPLATES.find_in(uow, template_ref)
        if template is None:
            raise NotFound(f"no template {template_ref}")
        copy = _visible(uow, incident_id, principal)
        now = uow.clock.now()
        channel = template["channel"] if template["channel"] != "any" else "webhook"
        target = Target(principal.user, principal.user, channel, "preview@example.invalid")
        link = dispatch.ack_url(uow, copy.id, principal.user, now) if template["category"] == "page" else None
        cause = Cause("preview", "preview", "manual" if template["category"] == "manual" else "updated", now,
                      category=template["category"], text="(your message)", template_id=template["id"])
        try:
            message = dispatch.render(uow, cause, copy, target, link, strict=True)
        except TemplateLimitError as exc:
            raise invalid("body", str(exc)) from None
    return {"subject": message.subject, "text": message.text, "channel": channel,
            "payload": _payload(channel, message)}


def _payload(channel: str, message: Message) -> Any:
    if channel in CHAT_BODIES:
        return CHAT_BODIES[channel](message)
    if channel in ("email", "apprise"):
        subject, text = email_parts(message)
        return {"subject": subject, "body": text}
    return json.loads(json.dumps(webhook_body(message, "preview", "you"), default=str))


def deliveries(uow: NotifyUnitOfWork, incident_id: str | None, limit: int, after: int | None,
               principal: Principal) -> list[dict[str, Any]]:
    """The delivery log, oldest first; without an incident only admins may read it."""
    with uow:
        if incident_id is not None:
            _visible(uow, incident_id, principal)
        elif not principal.has_role("admin"):
            raise Forbidden("name an incident_id: only admins read the whole delivery log")
        return uow.deliveries.page(incident_id, limit, after)


def read_link(uow: NotifyUnitOfWork, token: str) -> tuple[AckToken, IncidentCopy | None]:
    """The link's claims (BadToken if altered or expired) and the incident as notify knows it."""
    with uow:
        claims = AckToken.decode(uow.ack_secret(), token, uow.clock.now().timestamp())
        return claims, uow.incidents.get(claims.incident_id)


def acknowledge_by_link(uow: NotifyUnitOfWork, token: str) -> tuple[AckToken, IncidentCopy | None, bool]:
    """Ask the incident service to acknowledge as the link's user; False if it is already settled."""
    now = uow.clock.now()
    with uow:
        claims = AckToken.decode(uow.ack_secret(), token, now.timestamp())
        copy = uow.incidents.get(claims.incident_id)
        if copy is not None and copy.settled:
            return claims, copy, False
        uow.emit(ACK_REQUESTED, {"incident_id": claims.incident_id, "user": claims.user, "via": "ack_url",
                                 "at": now.isoformat()}, subject=claims.incident_id)
        uow.commit()
    return claims, copy, True
