"""The cache of verified tokens keeps every check: expiry on each request, full verification for new tokens."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from libs.common import auth
from libs.common.auth import VerifiedTokens, mint
from libs.common.errors import Unauthorized


def test_a_repeat_token_gives_the_same_principal(auth_settings):
    tokens = VerifiedTokens(auth_settings)
    token = mint(auth_settings, "alice", "responder", ["payments"])
    first = tokens.verify(token)
    assert tokens.verify(token) == first == auth.Principal("alice", "responder", ("payments",))


def test_a_cached_token_still_expires(auth_settings, monkeypatch):
    tokens = VerifiedTokens(auth_settings)
    token = mint(auth_settings, "alice", "responder", ttl=timedelta(seconds=60))
    tokens.verify(token)
    later = time.time() + 60 + auth.LEEWAY_SECONDS + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(token)


def test_a_tampered_token_is_verified_in_full_and_refused(auth_settings):
    tokens = VerifiedTokens(auth_settings)
    token = mint(auth_settings, "alice", "viewer")
    tokens.verify(token)
    signature = token.split(".")[2]
    other_key = "another-" + "k" * 40
    forged = mint(replace(auth_settings, signing_key=other_key, verify_key=other_key), "alice", "admin")
    header, payload, _ = forged.split(".")
    with pytest.raises(Unauthorized):
        tokens.verify(f"{header}.{payload}.{signature}")  # admin claims under the viewer token's signature


def test_the_cache_stays_bounded(auth_settings, monkeypatch):
    monkeypatch.setattr(VerifiedTokens, "MAX_ENTRIES", 3)
    tokens = VerifiedTokens(auth_settings)
    for n in range(10):
        tokens.verify(mint(auth_settings, f"user{n}", "viewer"))
    assert len(tokens._seen) <= 3
