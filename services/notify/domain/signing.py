"""Webhook signatures and the signed, expiring acknowledge tokens behind each ack_url."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

SIGNATURE_HEADER = "Firebreak-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Firebreak-Signature header value: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float, tolerance: float = 300) -> bool:
    """True if the header signs body with secret and its timestamp is within tolerance of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class BadToken(ValueError):
    """An ack token that was altered, malformed or has expired."""

    def __init__(self, reason: str, expired: bool = False):
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True)
class AckToken:
    """Who may acknowledge which incident, until when (unix seconds)."""

    incident_id: str
    user: str
    expires: int

    def encode(self, secret: str) -> str:
        """`<base64url claims>.<base64url HMAC-SHA256>`: URL-safe, no padding."""
        claims = json.dumps({"i": self.incident_id, "u": self.user, "e": self.expires},
                            separators=(",", ":"), sort_keys=True).encode()
        payload = _b64(claims)
        return f"{payload}.{_b64(_mac(secret, payload))}"

    @classmethod
    def decode(cls, secret: str, token: str, now: float) -> AckToken:
        """The token's claims if its signature holds and it has not expired; BadToken otherwise."""
        payload, _, signature = token.partition(".")
        try:
            given = _unb64(signature)
            claims = json.loads(_unb64(payload))
        except (ValueError, UnicodeDecodeError):
            raise BadToken("the link is malformed") from None
        if not hmac.compare_digest(given, _mac(secret, payload)):
            raise BadToken("the link's signature does not match")
        if not isinstance(claims, dict) or not all(k in claims for k in ("i", "u", "e")):
            raise BadToken("the link is malformed")
        if now >= int(claims["e"]):
            raise BadToken("the link has expired", expired=True)
        return cls(str(claims["i"]), str(claims["u"]), int(claims["e"]))


def _mac(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode(), b"ack." + payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("empty")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
