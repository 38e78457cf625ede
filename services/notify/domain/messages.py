"""Messages and their bodies per channel: signed JSON webhooks, Slack, Mattermost, Teams, e-mail, Apprise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.notify.domain.incident import copy_json

CHANNELS = ("email", "webhook", "slack", "mattermost", "teams", "apprise")
CATEGORIES = ("page", "update", "manual")
SENDER_NAME = "Firebreak"


@dataclass(frozen=True)
class Message:
    """One rendered message about an incident; a digest folds several."""

    subject: str
    text: str
    event_type: str
    at: str
    incident: dict[str, Any]
    category: str = "update"
    ack_url: str | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict (same result: nested data copied), which costs more than the rest.
        return {"subject": self.subject, "text": self.text, "event_type": self.event_type, "at": self.at,
                "incident": copy_json(self.incident), "category": self.category, "ack_url": self.ack_url,
                "updates": copy_json(self.updates)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def fold(messages: list[Message]) -> Message:
    """One message as it is; several (a storm about one incident) as one digest, newest facts last."""
    if len(messages) == 1:
        return messages[0]
    last = messages[-1]
    ref = last.incident.get("reference") or last.incident.get("id")
    lines = [f"{len(messages)} updates about {ref} {last.incident.get('title', '')}".rstrip(), ""]
    lines += [f"- {m.at}: {m.subject}" for m in messages]
    ack = next((m.ack_url for m in reversed(messages) if m.ack_url), None)
    if ack:
        lines += ["", f"Acknowledge: {ack}"]
    return Message(subject=f"[{ref}] {len(messages)} updates: {last.incident.get('title', '')}".rstrip(),
                   text="\n".join(lines), event_type="digest", at=last.at, incident=last.incident,
                   category=last.category, ack_url=ack,
                   updates=[{"event_type": m.event_type, "at": m.at, "subject": m.subject, "text": m.text}
                            for m in messages])


def _facts(incident: dict[str, Any]) -> list[tuple[str, str]]:
    names = ("severity", "priority", "status", "team", "commander")
    return [(n.capitalize(), str(incident.get(n))) for n in names if incident.get(n)]


def webhook_body(message: Message, delivery_id: str, recipient: str) -> dict[str, Any]:
    """Firebreak's own JSON: the incident snapshot, the rendered text and a top-level ack_url."""
    return {"id": delivery_id, "type": message.event_type, "category": message.category, "recipient": recipient,
            "subject": message.subject, "text": message.text, "at": message.at, "ack_url": message.ack_url,
            "incident": message.incident, "updates": message.updates}


def slack_body(message: Message) -> dict[str, Any]:
    """Slack incoming webhook: `text` (the fallback) and Block Kit `blocks`."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape_slack(message.subject)}*\n"
                                                               f"{_escape_slack(message.text)}"[:3000]}},
    ]
    facts = _facts(message.incident)
    if facts:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"*{k}:* {_escape_slack(v)}"} for k, v in facts[:10]]})
    if message.ack_url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"}, "url": message.ack_url,
             "style": "primary"}]})
    return {"text": message.subject, "blocks": blocks}


def mattermost_body(message: Message) -> dict[str, Any]:
    """Mattermost incoming webhook: markdown `text`, `username`, and one attachment with the facts."""
    text = f"**{message.subject}**\n{message.text}"
    if message.ack_url:
        text += f"\n[Acknowledge]({message.ack_url})"
    attachment = {"fallback": message.subject, "color": _colour(message.incident), "title": message.subject,
                  "fields": [{"short": True, "title": k, "value": v} for k, v in _facts(message.incident)]}
    if message.ack_url:
        attachment["title_link"] = message.ack_url
    return {"text": text, "username": SENDER_NAME, "attachments": [attachment]}


def teams_body(message: Message) -> dict[str, Any]:
    """Microsoft Teams (Workflows incoming webhook): a message wrapping one Adaptive Card 1.4."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.text, "wrap": True},
    ]
    facts = _facts(message.incident)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                            "version": "1.4", "body": body}
    if message.ack_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Acknowledge", "url": message.ack_url}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def email_parts(message: Message) -> tuple[str, str]:
    """Subject and plain-text body; the ack link goes at the end."""
    text = message.text
    if message.ack_url and message.ack_url not in text:
        text += f"\n\nAcknowledge: {message.ack_url}"
    return message.subject, text


def apprise_parts(message: Message) -> tuple[str, str]:
    """Title and body for Apprise, whatever service the URL names."""
    return email_parts(message)


CHAT_BODIES = {"slack": slack_body, "mattermost": mattermost_body, "teams": teams_body}


def _colour(incident: dict[str, Any]) -> str:
    return {"critical": "#d00000", "high": "#e36209", "medium": "#dbab09"}.get(incident.get("priority", ""), "#808080")


def _escape_slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
