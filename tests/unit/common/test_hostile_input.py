"""Deep JSON, lone surrogates and NUL characters are refused up front with problem+json, never a 500."""

from __future__ import annotations

import pytest

from libs.common.input_limits import MAX_JSON_DEPTH, json_depth

INCIDENT = {"title": "Checkout errors", "severity": "major", "priority": "high"}


def problem(response, status: int = 400) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b'"just a string"') == 0


@pytest.mark.parametrize("path", ["/v1/incidents", "/v2/enqueue", "/v1/alerts/generic"])
def test_json_nested_a_thousand_deep_is_a_400_even_without_credentials(client, token, path):
    deep = b"[" * 1000 + b"]" * 1000
    headers = token("responder") if path == "/v1/incidents" else {}
    body = problem(client.post(path, data=deep, headers={**headers, "Content-Type": "application/json"}))
    assert f"deeper than {MAX_JSON_DEPTH}" in body["detail"]


def test_json_at_the_depth_limit_is_parsed_normally(client, token):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    raw = '{"title": "t", "severity": "major", "priority": "high", "tags": ' + nested + "}"
    response = client.post("/v1/incidents", data=raw, headers={**token(), "Content-Type": "application/json"})
    assert response.status_code == 422  # tags is not a list of nested lists: the schema says so, not the guard
    assert "deeper" not in response.get_data(as_text=True)


@pytest.mark.parametrize("text", ["\\ud800", "broken \\udfff pair", "nul \\u0000 byte"])
def test_unstorable_text_in_a_field_is_a_400_naming_the_field(client, token, text):
    raw = '{"title": "' + text + '", "severity": "major", "priority": "high"}'
    body = problem(client.post("/v1/incidents", data=raw, headers={**token(), "Content-Type": "application/json"}))
    assert body["errors"][0]["field"] == "title"
    assert body["errors"][0]["location"] == "json"
    assert client.get("/v1/incidents", headers=token()).get_json()["items"] == []


def test_a_valid_surrogate_pair_is_ordinary_text(client, token):
    raw = '{"title": "fire \\ud83d\\udd25", "severity": "major", "priority": "high"}'
    response = client.post("/v1/incidents", data=raw, headers={**token(), "Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.get_json()["title"] == "fire \U0001f525"


def test_nul_in_a_query_filter_or_path_id_is_a_400(client, token):
    body = problem(client.get("/v1/incidents?status=new%00", headers=token()))
    assert body["errors"][0] == {**body["errors"][0], "field": "status", "location": "query"}
    body = problem(client.get("/v1/incidents/abc%00def", headers=token()))
    assert body["errors"][0]["location"] == "path"


def test_nested_keys_are_named_by_their_path(client, token):
    raw = '{"title": "t", "severity": "major", "priority": "high", "labels": {"env": ["ok", "\\ud800"]}}'
    body = problem(client.post("/v1/incidents", data=raw, headers={**token(), "Content-Type": "application/json"}))
    assert body["errors"][0]["pointer"] == "#/labels/env/1"
