"""The notify service's own settings, read from the environment once when its runtime is built."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from libs.common.config import ConfigError, Settings


def _number(env: Mapping[str, str], name: str, default: float, minimum: float = 0) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class NotifySettings:
    """SMTP, the public URL of ack links and their secret, delivery timeouts, retries, digests."""

    smtp_url: str | None
    smtp_from: str
    public_url: str
    ack_secret: str | None  # None: a random one kept in notify's database (RS256 installs without a key)
    ack_ttl_seconds: float
    http_timeout: float
    max_attempts: int
    base_delay: float
    max_delay: float
    lease_seconds: float
    digest_seconds: float
    deny_networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def from_env(cls, settings: Settings, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        port = env.get("FIREBREAK_PORT") or "8080"
        public = (env.get("FIREBREAK_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        return cls(
            smtp_url=env.get("FIREBREAK_SMTP_URL") or None,
            smtp_from=env.get("FIREBREAK_SMTP_FROM") or "firebreak@localhost",
            public_url=public,
            ack_secret=env.get("FIREBREAK_ACK_SECRET") or _derived_secret(settings),
            ack_ttl_seconds=_number(env, "FIREBREAK_ACK_TTL_SECONDS", 24 * 3600, 1),
            http_timeout=_number(env, "FIREBREAK_NOTIFY_TIMEOUT_SECONDS", 10, 0.1),
            max_attempts=int(_number(env, "FIREBREAK_NOTIFY_MAX_ATTEMPTS", 5, 1)),
            base_delay=_number(env, "FIREBREAK_NOTIFY_RETRY_BASE_SECONDS", 2, 0.01),
            max_delay=_number(env, "FIREBREAK_NOTIFY_RETRY_MAX_SECONDS", 600, 0.01),
            lease_seconds=_number(env, "FIREBREAK_NOTIFY_LEASE_SECONDS", 60, 1),
            digest_seconds=_number(env, "FIREBREAK_NOTIFY_DIGEST_SECONDS", 60, 0),
            deny_networks=_networks(env.get("FIREBREAK_NOTIFY_DENY_CIDRS", "")),
        )


def _networks(raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    try:
        return tuple(ip_network(item.strip(), strict=False) for item in raw.split(",") if item.strip())
    except ValueError as exc:
        raise ConfigError(f"FIREBREAK_NOTIFY_DENY_CIDRS: {exc}") from None


def _derived_secret(settings: Settings) -> str | None:
    """A key of its own, derived from the JWT HS256 secret, so an ack link can never pass for a token."""
    if settings.auth.algorithm != "HS256" or not settings.auth.signing_key:
        return None
    return hmac.new(settings.auth.signing_key.encode(), b"firebreak notify ack_url v1", hashlib.sha256).hexdigest()
