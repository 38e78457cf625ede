"""Integrations: alert senders with their own key, HMAC secrets, routing rules and rate limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from libs.common.regex import regex_error
from services.incident.adapters.title_templates import template_error
from services.incident.domain.errors import DomainError, InvalidValue, NotFoundError
from services.incident.domain.routing import check_matchers, check_rules
from services.incident.service_layer.unit_of_work import IncidentUnitOfWork

KINDS = ("alertmanager", "grafana", "datadog", "pagerduty", "generic")
DEFAULT_RATE_LIMIT = 1200


class NameTaken(DomainError):
    status = 409


class IntegrationAuthError(Exception):
    """The sender is not who it says it is."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(kind: str) -> str:
    # PagerDuty senders expect a 32-character routing key.
    return secrets.token_hex(16) if kind == "pagerduty" else "fbk_" + secrets.token_urlsafe(32)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in row.items() if k not in ("key_hash", "hmac_secrets")}
    shown["hmac_secrets_count"] = len(row.get("hmac_secrets") or [])
    return shown


def create_integration(uow: IncidentUnitOfWork, values: dict[str, Any]) -> dict[str, Any]:
    """Create one; the key is returned here and never again (only its hash is kept)."""
    check_rules(values.get("routing_rules") or [], template_error, regex_error)
    key = values.pop("key", None) or new_key(values["kind"])
    now = uow.clock.now()
    with uow:
        if uow.integrations.by_name(values["name"]):
            raise InvalidValue(f"an integration named {values['name']!r} exists", "name")
        if uow.integrations.by_key_hash(hash_key(key)):
            raise InvalidValue("that key is already in use", "key")
        row = {"id": str(uuid.uuid4()), "key_hash": hash_key(key), "key_hint": key[-4:], "created_at": now,
               "updated_at": now, "auto_resolve": True, "hmac_secrets": [], "routing_rules": [], "severity_map": {},
               "rate_limit_per_minute": DEFAULT_RATE_LIMIT, "enabled": True, "default_team": None,
               "incident_type": None, **values}
        uow.integrations.add(row)
        uow.commit()
    return {**_public(row), "key": key}


def update_integration(uow: IncidentUnitOfWork, integration_id: str, values: dict[str, Any]) -> dict[str, Any]:
    if "routing_rules" in values:
        check_rules(values["routing_rules"] or [], template_error, regex_error)
    rotate = values.pop("rotate_key", False)
    key = None
    with uow:
        current = uow.integrations.get(integration_id)
        if current is None:
            raise NotFoundError(f"no integration {integration_id}")
        if rotate:
            key = new_key(current["kind"])
            values.update(key_hash=hash_key(key), key_hint=key[-4:])
        if "name" in values and values["name"] != current["name"]:
            holder = uow.integrations.by_name(values["name"])
            if holder is not None and holder["id"] != integration_id:
                raise NameTaken(f"an integration named {values['name']!r} exists", "name")
        row = {**current, **values, "updated_at": uow.clock.now()}
        try:
            uow.integrations.change(integration_id, {k: v for k, v in row.items() if k != "id"})
            uow.commit()
        except IntegrityError:  # someone took the name between our check and our write
            raise NameTaken(f"an integration named {values.get('name', current['name'])!r} exists", "name") from None
    shown = _public(row)
    if key:
        shown["key"] = key
    return shown


def authenticate(uow: IncidentUnitOfWork, key: str | None, kind: str, body: bytes,
                 signature: str | None) -> dict[str, Any]:
    """The enabled integration of `kind` owning `key`; its HMAC signature checked when it has secrets."""
    if not key:
        raise IntegrationAuthError("an integration key is required (X-Firebreak-Key or Authorization: Bearer)")
    with uow:
        integration = uow.integrations.by_key_hash(hash_key(key))
    if integration is None or not integration["enabled"]:
        raise IntegrationAuthError("unknown or disabled integration key")
    if integration["kind"] != kind:
        raise IntegrationAuthError(f"this key belongs to a {integration['kind']} integration, not {kind}")
    secrets_ = integration["hmac_secrets"] or []
    if secrets_:
        if not signature:
            raise IntegrationAuthError("this integration requires an X-Firebreak-Signature header")
        given = signature.removeprefix("sha256=").strip()
        # Every configured secret is tried, so senders can move to a new one during rotation.
        if not any(hmac.compare_digest(hmac.new(s.encode(), body, hashlib.sha256).hexdigest(), given)
                   for s in secrets_):
            raise IntegrationAuthError("bad signature")
    return integration


def check_suppression(values: dict[str, Any], field: str) -> None:
    if "matchers" in values:
        if not values["matchers"]:
            raise InvalidValue("a silence needs at least one matcher", field)
        check_matchers(values["matchers"], field, regex_error)
