"""Message bodies per channel, checked against each product's documented incoming-webhook format; digests."""

from __future__ import annotations

import json

from services.notify.domain.messages import (
    Message,
    email_parts,
    fold,
    mattermost_body,
    slack_body,
    teams_body,
    webhook_body,
)

INCIDENT = {"id": "i-1", "reference": "INC-7", "title": "Checkout <down>", "severity": "critical",
            "priority": "critical", "status": "new", "team": "sre", "commander": "carol", "links": []}
ACK = "https://firebreak.example/v1/notifications/ack/abc.def"


def message(**kw) -> Message:
    values = {"subject": "PAGE [INC-7] Checkout", "text": "You are paged", "event_type": "page",
              "at": "2026-01-01T00:00:00+00:00", "incident": INCIDENT, "category": "page", "ack_url": ACK}
    return Message(**{**values, **kw})


def test_webhook_body_has_the_snapshot_and_a_top_level_ack_url():
    body = webhook_body(message(), "d:key", "alice")
    assert body["ack_url"] == ACK
    assert body["id"] == "d:key" and body["recipient"] == "alice"
    assert body["incident"]["reference"] == "INC-7"
    json.dumps(body)


def test_slack_body_is_text_with_block_kit_blocks_and_a_link_button():
    body = slack_body(message())
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "PAGE [INC-7] Checkout"
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["section", "context", "actions"]
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    button = body["blocks"][2]["elements"][0]
    assert button["type"] == "button" and button["url"] == ACK and button["text"]["type"] == "plain_text"
    assert "&lt;down&gt;" in slack_body(message(subject="Checkout <down>"))["blocks"][0]["text"]["text"]
    assert "actions" not in [b["type"] for b in slack_body(message(ack_url=None))["blocks"]]


def test_mattermost_body_is_markdown_text_username_and_attachments():
    body = mattermost_body(message())
    assert set(body) == {"text", "username", "attachments"}
    assert body["username"] == "Firebreak"
    assert f"[Acknowledge]({ACK})" in body["text"]
    attachment = body["attachments"][0]
    assert {"fallback", "color", "title", "fields"} <= set(attachment)
    assert attachment["title_link"] == ACK
    assert {"short": True, "title": "Commander", "value": "carol"} in attachment["fields"]


def test_teams_body_wraps_one_adaptive_card():
    body = teams_body(message())
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Acknowledge", "url": ACK}]
    assert any(b["type"] == "FactSet" for b in card["body"])


def test_email_carries_the_ack_link_once():
    subject, text = email_parts(message())
    assert subject == "PAGE [INC-7] Checkout"
    assert text.count(ACK) == 1
    assert email_parts(message(text=f"go {ACK}"))[1].count(ACK) == 1


def test_a_storm_of_updates_folds_into_one_digest():
    updates = [message(subject=f"update {i}", event_type="firebreak.incident.updated.v1", category="update",
                       ack_url=None, at=f"2026-01-01T00:00:0{i}+00:00") for i in range(3)]
    assert fold(updates[:1]) == updates[0]
    digest = fold(updates)
    assert digest.event_type == "digest"
    assert "3 updates" in digest.subject
    assert [u["subject"] for u in digest.updates] == ["update 0", "update 1", "update 2"]
    assert "update 2" in digest.text
