"""The named-resource helper through a tiny Flask app: CRUD, paging, ETag/If-Match, problems, roles, events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from flask import Flask
from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import sessionmaker

from libs.common import auth, errors
from libs.common.app import FirebreakApi
from libs.common.catalog import EventCatalog, EventSpec, publishes
from libs.common.clock import FakeClock
from libs.common.pagination import encode_cursor
from libs.common.resources import Change, Resource, conflict, invalid, resource_blueprint
from libs.common.runtime import ServiceRuntime
from libs.common.tables import define_bus_tables
from libs.common.uow import UnitOfWork

CHANGED = "firebreak.escalation.team_changed.v1"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

metadata = MetaData()
bus = define_bus_tables(metadata)
teams = Table(
    "teams", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("members", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
labels = Table("labels", metadata, Column("name", String(50), primary_key=True), Column("colour", String(20)))


class TeamSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    members = fields.List(fields.String(), load_default=list)
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TeamPatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    members = fields.List(fields.String())


class LabelSchema(Schema):
    name = fields.String(required=True)
    colour = fields.String(load_default=None, allow_none=True)


class TeamChangedSchema(Schema):
    name = fields.String(required=True)
    action = fields.String(required=True)
    by = fields.String(allow_none=True)


def _check_team(change: Change) -> dict:
    members = change.values["members"]
    if len(set(members)) != len(members):
        raise invalid("members", "a user is listed twice")
    return change.values


def _announce(change: Change) -> None:
    team = change.row or change.current
    if team["name"] == "explode":
        raise RuntimeError("the event could not be written")
    change.uow.emit(CHANGED, {"name": team["name"], "action": change.action,
                              "by": change.principal.user if change.principal else None}, subject=team["id"])


def _keep_core(change: Change) -> None:
    if change.current["name"] == "core":
        raise conflict("name", "the core team cannot be deleted")


TEAMS = Resource(teams, "team", lookup=("name", "id"), validate=_check_team, on_change=_announce,
                 before_delete=_keep_core)
LABELS = Resource(labels, "label")


@pytest.fixture
def runtime(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'resources.db'}")
    metadata.create_all(engine)
    catalog = EventCatalog("escalation", publishes=publishes(EventSpec(CHANGED, TeamChangedSchema, "A team changed.")))
    yield ServiceRuntime(None, engine, sessionmaker(engine), metadata, bus, catalog, FakeClock(START))
    engine.dispose()


@pytest.fixture
def app(runtime, auth_settings):
    app = Flask("resources-test")
    app.config.update(API_TITLE="test", API_VERSION="v1", OPENAPI_VERSION="3.1.0")
    api = FirebreakApi(app)
    api.register_blueprint(resource_blueprint(TEAMS, TeamSchema, "/v1/teams", path_param="name",
                                              description="Teams.", patch_schema=TeamPatchSchema))
    api.register_blueprint(resource_blueprint(LABELS, LabelSchema, "/v1/labels", path_param="name",
                                              operations=("list", "create", "get", "replace"),
                                              write_role="responder", summaries={"create": "Make a label."}))
    api.register_blueprint(resource_blueprint(TEAMS, TeamSchema, "/v2/teams", name="strict_teams", path_param="name",
                                              operations=("get", "replace"), require_if_match=True))
    app.extensions["firebreak.api"] = api
    app.extensions["firebreak.uow"] = lambda: UnitOfWork(runtime)
    errors.install(app)
    auth.install(app, auth_settings)
    return app


@pytest.fixture
def call(app, token):
    client = app.test_client()

    def do(method: str, path: str, body=None, role: str = "admin", headers: dict | None = None):
        return client.open(path, method=method, json=body, headers={**token(role), **(headers or {})})

    return do


def problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://firebreak.dev/problems/")
    assert body["instance"] == response.request.path
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def outbox(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        return [json.loads(data) for data in conn.execute(select(bus.outbox.c.body).order_by(bus.outbox.c.id))
                .scalars()]  # binary mode: the body is the event's data


def test_create_then_get_by_name_or_id_with_version_as_etag(call, runtime):
    created = call("POST", "/v1/teams", {"name": "payments", "members": ["alice", "bob"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    team = created.get_json()
    assert team["version"] == 1 and team["members"] == ["alice", "bob"]
    assert team["created_at"] == team["updated_at"] == START.isoformat()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == "/v1/teams/payments"
    by_name = call("GET", "/v1/teams/payments", role="viewer")
    assert by_name.status_code == 200 and by_name.get_json() == team and by_name.headers["ETag"] == '"1"'
    assert call("GET", f"/v1/teams/{team['id']}", role="viewer").get_json() == team
    assert outbox(runtime) == [{"name": "payments", "action": "create", "by": "alice"}]


def test_list_pages_by_name_with_a_cursor(call):
    for name in ("delta", "alpha", "echo", "charlie", "bravo"):
        call("POST", "/v1/teams", {"name": name})
    first = call("GET", "/v1/teams?limit=2", role="viewer").get_json()
    assert [t["name"] for t in first["items"]] == ["alpha", "bravo"] and first["next_cursor"]
    second = call("GET", f"/v1/teams?limit=2&cursor={first['next_cursor']}", role="viewer").get_json()
    third = call("GET", f"/v1/teams?limit=2&cursor={second['next_cursor']}", role="viewer").get_json()
    assert [t["name"] for t in second["items"] + third["items"]] == ["charlie", "delta", "echo"]
    assert third["next_cursor"] is None
    problem(call("GET", "/v1/teams?cursor=%%%"), 400, "cursor")
    problem(call("GET", f"/v1/teams?cursor={encode_cursor([])}"), 400, "cursor")
    problem(call("GET", "/v1/teams?limit=0"), 422, "limit")


def test_if_match_guards_replace_patch_and_delete(call):
    call("POST", "/v1/teams", {"name": "payments", "members": ["alice"]})
    replaced = call("PUT", "/v1/teams/payments", {"name": "payments", "members": ["bob"]}, headers={"If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.headers["ETag"] == '"2"'
    assert replaced.get_json()["members"] == ["bob"] and replaced.get_json()["version"] == 2
    stale = problem(call("PUT", "/v1/teams/payments", {"name": "payments"}, headers={"If-Match": '"1"'}), 409)
    assert stale["current_version"] == 2 and "version 1" in stale["detail"]
    problem(call("PATCH", "/v1/teams/payments", {"members": []}, headers={"If-Match": 'W/"1"'}), 409)
    problem(call("PUT", "/v1/teams/payments", {"name": "payments"}, headers={"If-Match": "yesterday"}), 400,
            "If-Match")
    patched = call("PATCH", "/v1/teams/payments", {"members": ["carol"]}, headers={"If-Match": 'W/"2"'})
    assert patched.status_code == 200 and patched.get_json()["members"] == ["carol"]
    assert patched.get_json()["name"] == "payments" and patched.headers["ETag"] == '"3"'
    assert call("PATCH", "/v1/teams/payments", {"members": []}).status_code == 200  # no If-Match: last write wins
    problem(call("DELETE", "/v1/teams/payments", headers={"If-Match": '"3"'}), 409)
    assert call("DELETE", "/v1/teams/payments", headers={"If-Match": "*"}).status_code == 204


def test_a_resource_may_require_if_match(call):
    call("POST", "/v1/teams", {"name": "payments"})
    problem(call("PUT", "/v2/teams/payments", {"name": "payments"}), 428, "If-Match")
    assert call("PUT", "/v2/teams/payments", {"name": "payments"}, headers={"If-Match": '"1"'}).status_code == 200


def test_rename_keeps_the_row_and_a_taken_name_is_409_naming_the_field(call):
    team = call("POST", "/v1/teams", {"name": "payments"}).get_json()
    call("POST", "/v1/teams", {"name": "checkout"})
    body = problem(call("POST", "/v1/teams", {"name": "payments"}), 409, "name")
    assert "payments" in body["detail"]
    problem(call("PUT", "/v1/teams/checkout", {"name": "payments"}), 409, "name")
    renamed = call("PUT", "/v1/teams/payments", {"name": "billing"}).get_json()
    assert renamed["id"] == team["id"] and renamed["name"] == "billing"
    problem(call("GET", "/v1/teams/payments", role="viewer"), 404)


def test_missing_is_404_naming_the_resource(call):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = problem(call(method, "/v1/teams/nope", {"name": "nope"} if method != "GET" else None), 404)
        assert body["detail"] == "no team nope"


def test_invalid_bodies_are_422_naming_the_field(call, runtime):
    problem(call("POST", "/v1/teams", {"members": []}), 422, "name")
    problem(call("POST", "/v1/teams", {"name": "x", "colour": "red"}), 422, "colour")
    body = problem(call("POST", "/v1/teams", {"name": "x", "members": ["a", "a"]}), 422, "members")
    assert body["errors"][0]["location"] == "json"
    assert outbox(runtime) == []
    assert call("GET", "/v1/teams", role="viewer").get_json()["items"] == []


def test_reads_need_a_token_writes_need_the_write_role(call, app):
    client = app.test_client()
    problem(client.get("/v1/teams"), 401)
    problem(call("POST", "/v1/teams", {"name": "x"}, role="responder"), 403)
    assert call("GET", "/v1/teams", role="viewer").status_code == 200
    assert call("POST", "/v1/labels", {"name": "db"}, role="responder").status_code == 201
    problem(call("POST", "/v1/labels", {"name": "ui"}, role="viewer"), 403)


def test_delete_runs_its_hook_and_events_share_the_transaction(call, runtime):
    call("POST", "/v1/teams", {"name": "core"})
    problem(call("DELETE", "/v1/teams/core"), 409, "name")
    assert call("GET", "/v1/teams/core", role="viewer").status_code == 200
    problem(call("POST", "/v1/teams", {"name": "explode"}), 500)
    assert call("GET", "/v1/teams/explode", role="viewer").status_code == 404
    call("POST", "/v1/teams", {"name": "ops"})
    assert call("DELETE", "/v1/teams/ops").status_code == 204
    assert [(e["name"], e["action"]) for e in outbox(runtime)] == [
        ("core", "create"), ("ops", "create"), ("ops", "delete")]


def test_operations_roles_and_summaries_are_chosen_per_resource(app, call):
    spec = app.extensions["firebreak.api"].spec.to_dict()
    assert set(spec["paths"]["/v1/labels/{name}"]) - {"parameters"} == {"get", "put"}
    assert spec["paths"]["/v1/labels"]["post"]["summary"] == "Make a label."
    assert spec["paths"]["/v1/teams"]["get"]["summary"] == "List teams by name."
    assert spec["paths"]["/v1/teams/{name}"]["delete"]["summary"] == "Delete a team."
    assert "TeamPage" in spec["components"]["schemas"]
    label = call("POST", "/v1/labels", {"name": "db", "colour": "red"}, role="responder")
    assert "ETag" not in label.headers and label.get_json() == {"name": "db", "colour": "red"}
    assert call("DELETE", "/v1/labels/db").status_code == 405


def test_service_layer_calls_work_without_http(runtime):
    team = TEAMS.create(UnitOfWork(runtime), {"name": "sre", "members": []})
    runtime.clock.advance(60)
    changed = TEAMS.patch(UnitOfWork(runtime), "sre", {"members": ["dana"]}, expected=1)
    assert changed["version"] == 2 and changed["updated_at"] > team["updated_at"] == team["created_at"]
    with UnitOfWork(runtime) as uow:
        assert TEAMS.find_in(uow, team["id"])["members"] == ["dana"]
    page = TEAMS.list(UnitOfWork(runtime), limit=5, where=[teams.c.name != "sre"])
    assert page == {"items": [], "next_cursor": None}
