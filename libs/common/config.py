"""Settings read from environment variables, once, when a service is built."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("incident", "sla", "escalation", "notify", "postmortem")


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _embedded_secret(data_dir: Path, create: bool = True) -> str:
    """The signing secret kept in the data dir, so the CLI and a local server agree."""
    path = data_dir / "jwt-secret"
    if not path.exists():
        if not create:
            # A fresh secret here would sign tokens no running server accepts.
            raise ConfigError(f"no signing secret: FIREBREAK_JWT_SECRET is not set and {path} does not exist; "
                              "start `firebreak run` first, or point FIREBREAK_DATA_DIR at its data directory")
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class AuthSettings:
    algorithm: str
    verify_key: str
    signing_key: str | None
    issuer: str
    audience: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path, create_secret: bool = True) -> AuthSettings:
        """`create_secret=False`: find the data dir's secret or raise ConfigError (what `firebreak token` does)."""
        public_key = env.get("FIREBREAK_JWT_PUBLIC_KEY")
        issuer = env.get("FIREBREAK_JWT_ISSUER", "firebreak")
        audience = env.get("FIREBREAK_JWT_AUDIENCE", "firebreak")
        if public_key:
            return cls("RS256", public_key, env.get("FIREBREAK_JWT_PRIVATE_KEY"), issuer, audience)
        secret = env.get("FIREBREAK_JWT_SECRET") or _embedded_secret(data_dir, create_secret)
        if len(secret) < 32:
            raise ConfigError("FIREBREAK_JWT_SECRET must be at least 32 characters")
        return cls("HS256", secret, secret, issuer, audience)


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings."""

    service: str
    database_url: str
    amqp_url: str
    data_dir: Path
    auth: AuthSettings
    max_body_bytes: int
    delivery_limit: int
    prefetch: int
    relay_batch: int
    relay_idle_seconds: float
    scheduler_batch: int
    scheduler_idle_seconds: float
    heartbeat: int
    log_level: str
    fault_pause: str | None
    fault_dir: Path
    # PostgreSQL LISTEN/NOTIFY wake-ups (libs/common/wakeup.py); off behind a transaction-pooling PgBouncer.
    wakeups: bool = True
    # With a live listener, the longest idle wait before polling anyway (a NOTIFY-less writer is still seen).
    wakeup_poll_seconds: float = 1.0

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> Settings:
        if service not in SERVICES:
            raise ConfigError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
        env = os.environ if env is None else env
        data_dir = Path(env.get("FIREBREAK_DATA_DIR", "./data")).resolve()
        database_url = (
            env.get(f"FIREBREAK_{service.upper()}_DATABASE_URL")
            or env.get("DATABASE_URL")
            or f"sqlite:///{data_dir / (service + '.db')}"
        )
        return cls(
            service=service,
            database_url=database_url,
            amqp_url=env.get("AMQP_URL", "memory://"),
            data_dir=data_dir,
            auth=AuthSettings.from_env(env, data_dir),
            max_body_bytes=_int(env, "FIREBREAK_MAX_BODY_BYTES", 512 * 1024, minimum=1024),
            delivery_limit=_int(env, "FIREBREAK_DELIVERY_LIMIT", 5, minimum=1),
            prefetch=_int(env, "FIREBREAK_PREFETCH", 50, minimum=1),
            relay_batch=_int(env, "FIREBREAK_RELAY_BATCH", 200, minimum=1),
            relay_idle_seconds=_float(env, "FIREBREAK_RELAY_IDLE_SECONDS", 0.2),
            scheduler_batch=_int(env, "FIREBREAK_SCHEDULER_BATCH", 500, minimum=1),
            scheduler_idle_seconds=_float(env, "FIREBREAK_SCHEDULER_IDLE_SECONDS", 0.25),
            heartbeat=_int(env, "FIREBREAK_AMQP_HEARTBEAT", 30),
            log_level=env.get("FIREBREAK_LOG_LEVEL", "INFO").upper(),
            fault_pause=env.get("FIREBREAK_FAULT_PAUSE") or None,
            fault_dir=Path(env.get("FIREBREAK_FAULT_DIR", str(data_dir / "faults"))),
            wakeups=env.get("FIREBREAK_WAKEUPS", "1").strip().lower() not in ("0", "false", "no", "off"),
            wakeup_poll_seconds=_float(env, "FIREBREAK_WAKEUP_POLL_SECONDS", 1.0),
        )
