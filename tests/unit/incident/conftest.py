"""Calling the incident API as someone, and declaring incidents (the app comes from tests/unit)."""

from __future__ import annotations

import pytest


@pytest.fixture
def api(client, token):
    """Call the API as a responder unless told otherwise; returns the response."""

    def call(method: str, path: str, json=None, role: str = "responder", user: str = "alice",
             teams: list[str] | None = None, headers: dict | None = None, expect: int | None = None):
        response = client.open(path, method=method, json=json, headers={**token(role, user, teams), **(headers or {})})
        if expect is not None:
            assert response.status_code == expect, response.get_data(as_text=True)
        return response

    return call


@pytest.fixture
def declare(api):
    def make(**fields):
        body = {"title": "Checkout errors", "severity": "major", "priority": "high", **fields}
        return api("POST", "/v1/incidents", body, expect=201).get_json()

    return make
