"""JWT bearer tokens: roles viewer < responder < admin, team claims, checked on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
from flask import Flask, g, request

from libs.common.config import AuthSettings
from libs.common.envelope import utcnow
from libs.common.errors import Forbidden, Unauthorized

ROLES = ("viewer", "responder", "admin")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The API reference (/openapi.json and the /docs page) is public: it holds no data, and clients read it first.
PUBLIC_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "health.metrics", "static", "api-docs.openapi_json",
                              "apidocs.page", "apidocs.script"})


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    teams: tuple[str, ...] = field(default_factory=tuple)

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def in_team(self, team: str | None) -> bool:
        return team is not None and team in self.teams

    def can_see(self, private: bool, team: str | None) -> bool:
        """The one rule for private incidents: admins and the incident's team's members see them."""
        return not private or self.has_role("admin") or self.in_team(team)


def visible_teams(principal: Principal) -> tuple[str, ...] | None:
    """Teams whose private incidents the principal sees; None means all (can_see as a SQL filter)."""
    return None if principal.has_role("admin") else principal.teams


def mint(settings: AuthSettings, user: str, role: str, teams: list[str] | None = None,
         ttl: timedelta = timedelta(hours=12)) -> str:
    """A signed token for user with role and teams."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not settings.signing_key:
        raise ValueError("no signing key: set FIREBREAK_JWT_SECRET or FIREBREAK_JWT_PRIVATE_KEY")
    now = utcnow()
    claims = {"sub": user, "role": role, "teams": list(teams or []), "iat": now, "nbf": now,
              "exp": now + ttl, "iss": settings.issuer, "aud": settings.audience}
    return jwt.encode(claims, settings.signing_key, algorithm=settings.algorithm)


LEEWAY_SECONDS = 30


def verify(settings: AuthSettings, token: str) -> Principal:
    """The principal a token speaks for; raise Unauthorized saying why not."""
    return _verify(settings, token)[0]


class VerifiedTokens:
    """Tokens already verified against one key, with their expiry: a client's repeat request costs a lookup and
    an expiry check, not a base64 scan, a JSON parse and an HMAC. Unknown tokens are verified in full."""

    MAX_ENTRIES = 4096

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        self._seen: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        seen = self._seen.get(token)
        if seen is None:
            principal, expires = _verify(self.settings, token)
            if len(self._seen) >= self.MAX_ENTRIES:
                self._seen.clear()  # crude but bounded; the next requests refill it
            self._seen[token] = (principal, expires)
            return principal
        principal, expires = seen
        # PyJWT's own test: expired once exp <= now - leeway. nbf needs no new test: time only moves on.
        if expires <= time.time() - LEEWAY_SECONDS:
            self._seen.pop(token, None)
            raise Unauthorized("token expired")
        return principal


def _verify(settings: AuthSettings, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, settings.verify_key, algorithms=[settings.algorithm],
                            audience=settings.audience, issuer=settings.issuer,
                            options={"require": ["exp", "sub", "iss", "aud"]}, leeway=LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    role = claims.get("role")
    teams = claims.get("teams", [])
    if role not in ROLES:
        raise Unauthorized(f"token role must be one of {', '.join(ROLES)}")
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        raise Unauthorized("token teams must be a list of strings")
    return Principal(user=str(claims["sub"]), role=role, teams=tuple(teams)), float(claims["exp"])


def require_role(role: str) -> Callable:
    """Mark a view (or MethodView method) as needing at least `role`."""
    if role not in ROLES:
        raise ValueError(role)

    def decorate(view):
        view._firebreak_role = role
        return view

    return decorate


def no_user_token(view):
    """Mark a view that authenticates its caller itself (e.g. an alert sender's integration key)."""
    view._firebreak_no_user_token = True
    return view


def _view_target(app: Flask):
    view = app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return view, getattr(view_class, request.method.lower(), view)
    return view, view


def current_principal() -> Principal:
    return g.principal


def _needed_role(app: Flask) -> str:
    view, target = _view_target(app)
    default = "viewer" if request.method in READ_METHODS else "responder"
    return getattr(target, "_firebreak_role", getattr(view, "_firebreak_role", default))


def install(app: Flask, settings: AuthSettings) -> None:
    """Every endpoint but health, readiness and metrics needs a valid bearer token."""
    tokens = VerifiedTokens(settings)

    @app.before_request
    def _authenticate():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if getattr(_view_target(app)[1], "_firebreak_no_user_token", False):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("a bearer token is required")
        principal = tokens.verify(token.strip())
        g.principal = principal
        needed = _needed_role(app)
        if not principal.has_role(needed):
            raise Forbidden(f"role {principal.role} may not do this; {needed} or above is needed")
        return None
