"""Contacts, notification rules and templates as named resources, with their validation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from libs.common.errors import Forbidden
from libs.common.resources import Change, Resource, conflict, invalid
from services.notify.adapters import orm
from services.notify.adapters.templating import Renderer, TemplateLimitError
from services.notify.domain.messages import CATEGORIES, CHANNELS
from services.notify.domain.rules import RULE_EVENTS
from services.notify.domain.timing import QuietHours

HTTP_CHANNELS = ("webhook", "slack", "mattermost", "teams")
TEMPLATE_CHANNELS = (*CHANNELS, "any")
MAX_DELAY = 7 * 24 * 3600


def check_address(kind: str, address: str, where: str) -> None:
    """An e-mail address for email, an http(s) URL for webhooks and chats, a URL of some scheme for Apprise."""
    if kind not in CHANNELS:
        raise invalid(where.replace("address", "kind"), f"one of {', '.join(CHANNELS)}")
    if kind == "email":
        if "@" not in address or any(c in address for c in " \r\n,;<>"):
            raise invalid(where, "not an e-mail address")
    elif kind in HTTP_CHANNELS:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid(where, "an http:// or https:// URL is needed")
    elif "://" not in address:
        raise invalid(where, "an Apprise URL (scheme://...) is needed")


def check_recipient(item: dict[str, Any], i: int) -> None:
    """A bare channel needs a valid address, and a webhook a secret to sign with."""
    if item.get("channel"):
        check_address(item["channel"], item.get("address") or "", f"recipients.{i}.address")
        if item["channel"] == "webhook" and not item.get("secret"):
            raise invalid(f"recipients.{i}.secret", "a webhook needs a secret to sign its requests with")


def _contact(change: Change) -> dict[str, Any]:
    values, principal = change.values, change.principal
    if principal is not None and not principal.has_role("admin"):
        owners = {values.get("user"), (change.current or {}).get("user", values.get("user"))}
        if owners != {principal.user}:
            raise Forbidden("only admins may change someone else's contact")
    kept = {(m["kind"], m["address"]): m.get("secret") for m in (change.current or {}).get("methods") or []}
    for i, method in enumerate(values.get("methods") or []):
        if not method.get("secret") and kept.get((method["kind"], method["address"])):
            method["secret"] = kept[(method["kind"], method["address"])]  # write-only: a replace may omit it
        check_address(method["kind"], method["address"], f"methods.{i}.address")
        if method["kind"] == "webhook" and not method.get("secret"):
            raise invalid(f"methods.{i}.secret", "a webhook needs a secret to sign its requests with")
        if not 0 <= float(method.get("delay_seconds") or 0) <= MAX_DELAY:
            raise invalid(f"methods.{i}.delay_seconds", f"between 0 and {MAX_DELAY}")
    try:
        QuietHours.parse(values.get("quiet_hours"))
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid("quiet_hours", f"{{start, end, timezone}} with HH:MM times: {exc}") from None
    return {**values, "name": values.get("name") or values["user"], "teams": values.get("teams") or []}


def _rule(change: Change) -> dict[str, Any]:
    values = change.values
    for name in values.get("event_types") or []:
        if name not in RULE_EVENTS:
            raise invalid("event_types", f"{name!r} is not one of {', '.join(RULE_EVENTS)}")
    if not values.get("event_types"):
        raise invalid("event_types", "name at least one event type")
    for i, item in enumerate(values.get("recipients") or []):
        given = [k for k in ("contact", "team", "channel") if item.get(k)]
        if len(given) != 1:
            raise invalid(f"recipients.{i}", "give exactly one of contact, team or channel")
        check_recipient(item, i)
    if values.get("template_id") and TEMPLATES.find_in(change.uow, values["template_id"]) is None:
        raise invalid("template_id", "no such template")
    return values


_renderer = Renderer()


def _template(change: Change) -> dict[str, Any]:
    values = change.values
    if values.get("category") not in CATEGORIES:
        raise invalid("category", f"one of {', '.join(CATEGORIES)}")
    if values.get("channel") not in TEMPLATE_CHANNELS:
        raise invalid("channel", f"one of {', '.join(TEMPLATE_CHANNELS)}")
    for name in ("subject", "body"):
        try:
            _renderer.check(values.get(name) or "")
        except TemplateLimitError as exc:
            raise invalid(name, str(exc)) from None
    return values


def _template_in_use(change: Change) -> None:
    used = change.uow.session.execute(select(orm.rules.c.name).where(
        orm.rules.c.template_id.in_((change.current["id"], change.current["name"])))).scalars().all()
    if used:
        raise conflict("id", f"rules use this template: {', '.join(sorted(used))}")


CONTACTS = Resource(orm.contacts, "contact", lookup=("id", "user"), name_field="user", validate=_contact)
RULES = Resource(orm.rules, "notification rule", lookup=("id", "name"), validate=_rule)
TEMPLATES = Resource(orm.templates, "template", lookup=("id", "name"), validate=_template,
                     before_delete=_template_in_use)
