"""Issue 14's hostile corpus against every operation of every service's OpenAPI document, in-process.

Whatever a field, query argument or path id is sent, the answer is never a 5xx, and every 4xx is
application/problem+json. Bodies start from a plausible one built from the operation's own schema, so the
hostile value reaches the handler rather than stopping at a missing required field.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.auth import mint
from libs.common.config import SERVICES, AuthSettings
from tests.conftest import SECRET

HOSTILE = [
    "\ud800",  # a lone surrogate, sent JSON-escaped
    "nul\x00byte",
    "line\r\nbreak; Set-Cookie: x",
    "W10",  # a cursor that decodes to []
    "0001-01-02T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "http://[::1",
    2**63,
    -(2**63) - 1,
    "([a-z0-9.-]+)*!",
    "(a)\\1",
    "{{ 'x' * 10000000 }}{% for a in range(100000) %}{% endfor %}",
    "",
    "x" * 5000,
    [[[[[[[[[[[]]]]]]]]]]],
    {"$gt": ""},
]
PATH_IDS = ["W10", str(2**63), str(2**64), "..%2F..", quote("\u2603"), "%00"]
RAW_BODIES = [b"[" * 1000 + b"]" * 1000, b'{"name": "\\ud800", "title": "\\udfff"}', b'{"a": "\\u0000"}',
              b"{not json", b"null", b'"\\ud800"']


@pytest.fixture(scope="module", params=SERVICES)
def service_app(request, tmp_path_factory):
    env = {"FIREBREAK_DATA_DIR": str(tmp_path_factory.mktemp(request.param)), "FIREBREAK_JWT_SECRET": SECRET,
           "AMQP_URL": "memory://", "FIREBREAK_LOG_LEVEL": "CRITICAL"}
    service = definition(request.param)
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    yield service.create_app(runtime=runtime)
    runtime.dispose()


@pytest.fixture(scope="module")
def admin():
    token = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, None), "mallory", "admin")
    return {"Authorization": f"Bearer {token}"}


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: dict = {"properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(spec, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return merged
    return schema


def plausible(spec: dict, schema: dict, depth: int = 0):
    """A value the schema would likely accept (required fields only), for the hostile one to ride on."""
    schema = _resolve(spec, schema)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        props = schema.get("properties", {})
        return {k: plausible(spec, props[k], depth + 1) for k in schema.get("required", []) if k in props}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [plausible(spec, schema.get("items", {}), depth + 1) for _ in range(count)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2030-01-01T00:00:00Z"
    if fmt == "date":
        return "2030-01-01"
    if fmt in ("email", "idn-email"):
        return "a@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/x"
    return "x" * max(schema.get("minLength", 1), 1)


def operations(app):
    spec = app.extensions["firebreak.api"].spec.to_dict()
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            params = shared + op.get("parameters", [])
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {}) or {}).get("schema")
            yield spec, path, method, params, (_resolve(spec, body) if body else None)


def requests_for(spec, path, method, params, body):
    """(path, query, raw body) triples: the hostile corpus, one place at a time."""
    path_names = [p["name"] for p in params if p["in"] == "path"]
    query_names = [p["name"] for p in params if p["in"] == "query"]

    def fill(value: str) -> str:
        out = path
        for name in path_names:
            out = out.replace("{" + name + "}", value)
        return out

    base_path = fill("W10")
    base_body = plausible(spec, body) if body else None
    for ident in PATH_IDS if path_names else []:
        yield fill(ident), {}, json.dumps(base_body).encode() if body else None
    for name in query_names + ["cursor"]:
        for value in HOSTILE:
            if isinstance(value, str | int) and str(value).encode("utf-8", "ignore").decode() == str(value):
                yield base_path, {name: str(value)}, None
    if body is None:
        return
    for name in body.get("properties", {}):
        for value in HOSTILE:
            yield base_path, {}, json.dumps({**base_body, name: value}).encode()
    for raw in RAW_BODIES:
        yield base_path, {}, raw


def test_the_hostile_corpus_makes_no_server_error_and_every_4xx_is_problem_json(service_app, admin):
    failures = set()
    with service_app.test_client() as client:
        for spec, path, method, params, body in operations(service_app):
            for url, query, raw in requests_for(spec, path, method, params, body):
                response = client.open(url, method=method.upper(), query_string=query, data=raw, headers={
                    **admin, **({"Content-Type": "application/json"} if raw is not None else {})})
                status = response.status_code
                # /v2/*: PagerDuty's Events API v2, whose senders expect PagerDuty's own error document.
                problem = response.mimetype == "application/problem+json" or url.startswith("/v2/")
                if status >= 500 or (status >= 400 and not problem):
                    failures.add(f"{method.upper()} {url[:80]} {str(query)[:80]} {(raw or b'')[:80]!r}: {status} "
                                 f"{response.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(sorted(failures)[:40])


# -- the 500s issue 14 lists, one each -------------------------------------------------------------------

def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.fixture
def sla_client(base_env):
    service = definition("sla")
    runtime = service.runtime(base_env)
    migrate_database(service, runtime.settings)
    yield service.create_app(runtime=runtime).test_client()
    runtime.dispose()


@pytest.mark.parametrize("path", ["/v1/playbooks", "/v1/incident-types", "/v1/integrations", "/v1/incidents"])
def test_a_well_formed_cursor_of_the_wrong_shape_is_a_400_naming_cursor(client, token, path):
    for cursor in ("W10", "WzFd", "eyJhIjoxfQ", "WyJ4IiwgIngiLCAieCJd"):  # [], [1], {"a":1}, ["x","x","x"]
        body = problem(client.get(f"{path}?cursor={cursor}", headers=token("admin")), 400)
        assert body["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("path", ["/v1/sla/policies?cursor=W10", "/v1/sla/calendars?cursor=W10"])
def test_sla_lists_refuse_crafted_cursors(sla_client, token, path):
    assert problem(sla_client.get(path, headers=token("admin")), 400)["errors"][0]["field"] == "cursor"


def test_sla_report_at_the_start_of_time_is_a_422_naming_to(sla_client, token):
    body = problem(sla_client.get("/v1/sla/report?to=0001-01-02T00:00:00Z", headers=token("admin")), 422)
    assert "to" in {e["field"] for e in body["errors"]}


def test_link_url_with_an_unclosed_ipv6_bracket_is_a_422_naming_url(client, token):
    incident = client.post("/v1/incidents", json={"title": "t", "severity": "major", "priority": "high"},
                           headers=token()).get_json()
    body = problem(client.post(f"/v1/incidents/{incident['id']}/links", json={"kind": "runbook", "url": "http://[::1"},
                               headers=token()), 422)
    assert body["errors"][0]["field"] == "url"


@pytest.mark.parametrize("entry_id", [2**63, 2**64, 10**30])
def test_timeline_entry_ids_beyond_bigint_are_404(client, token, entry_id):
    incident = client.post("/v1/incidents", json={"title": "t", "severity": "major", "priority": "high"},
                           headers=token()).get_json()
    problem(client.patch(f"/v1/incidents/{incident['id']}/timeline/{entry_id}", json={"important": True},
                         headers=token()), 404)


def test_checklist_item_rename_without_a_title_is_a_422_naming_title(client, token):
    incident = client.post("/v1/incidents", json={"title": "t", "severity": "major", "priority": "high"},
                           headers=token()).get_json()
    base = f"/v1/incidents/{incident['id']}/checklists/items"
    item = client.post(base, json={"stage": "triage", "title": "page db"}, headers=token()).get_json()
    body = problem(client.patch(f"{base}/{item['id']}", json={"op": "rename"}, headers=token()), 422)
    assert body["errors"][0]["field"] == "title"


def test_renaming_an_integration_to_a_taken_name_is_a_409(client, token):
    client.post("/v1/integrations", json={"name": "first", "kind": "generic"}, headers=token("admin"))
    second = client.post("/v1/integrations", json={"name": "second", "kind": "generic"},
                         headers=token("admin")).get_json()
    body = problem(client.patch(f"/v1/integrations/{second['id']}", json={"name": "first"},
                                headers=token("admin")), 409)
    assert body["errors"][0]["field"] == "name"
    assert client.patch(f"/v1/integrations/{second['id']}", json={"name": "second"},
                        headers=token("admin")).status_code == 200


def test_every_operation_declares_problem_json_errors(service_app):
    """So Schemathesis checks error bodies: the default response, and 422, are application/problem+json."""
    spec = service_app.extensions["firebreak.api"].spec.to_dict()
    shared = spec["components"]["responses"]
    assert list(shared["DEFAULT_ERROR"]["content"]) == ["application/problem+json"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (method, path)
            for status, response in op["responses"].items():
                if status.startswith("4") and "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    assert list(shared[name]["content"]) == ["application/problem+json"], (method, path, status)


def test_a_created_name_with_a_line_break_gets_a_quoted_location_not_a_500(client, token):
    response = client.post("/v1/incident-types", json={"name": "\r\U0010888c;", "default_severity": "major"},
                           headers=token("admin"))
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 201:
        assert response.headers["Location"] == "/v1/incident-types/%0D%F4%88%A2%8C%3B"


@pytest.fixture
def escalation_client(base_env):
    service = definition("escalation")
    runtime = service.runtime(base_env)
    migrate_database(service, runtime.settings)
    yield service.create_app(runtime=runtime).test_client()
    runtime.dispose()


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:00:00", "0001-01-01T00:00:00"])
def test_schedule_instants_beyond_what_shifts_can_be_computed_from_are_422(escalation_client, token, start):
    layer = {"name": "l", "participants": ["a"], "rotation": "weekly", "start": start}
    body = problem(escalation_client.post("/v1/schedules", json={"name": "s", "layers": [layer]},
                                          headers=token("admin")), 422)
    assert body["errors"][0]["field"] == "layers.0.start"
