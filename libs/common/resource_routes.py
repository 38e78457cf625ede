"""The HTTP half of named configuration resources (import it from libs.common.resources)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from libs.common.auth import current_principal, require_role
from libs.common.errors import ProblemError, field_errors
from libs.common.pagination import PageArgsSchema, page_schema

if TYPE_CHECKING:
    from libs.common.resources import Resource
    from libs.common.uow import UnitOfWork

OPERATIONS = ("list", "create", "get", "replace", "patch", "delete")


class PreconditionRequired(ProblemError):
    status, title, slug = 428, "Precondition Required", "precondition-required"


def expected_version() -> int | None:
    """The version named by the request's If-Match ("3" or W/"3"; "*" or none: None)."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ProblemError("If-Match must carry the resource's version as its ETag, e.g. \"3\"",
                           errors=[{"field": "If-Match", "location": "headers", "message": "not a version"}])
    return int(tag)


def resource_blueprint(resource: Resource, schema: type[Schema], url_prefix: str, *, name: str | None = None,
                       description: str | None = None, operations: Sequence[str] | None = None,
                       patch_schema: type[Schema] | Schema | None = None, path_param: str = "id",
                       write_role: str = "admin", read_role: str = "viewer",
                       load: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                       view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                       page_name: str | None = None, summaries: dict[str, str] | None = None,
                       require_if_match: bool = False, list_args: type[Schema] = PageArgsSchema,
                       filters: Callable[[dict[str, Any]], Iterable[Any]] | None = None) -> Blueprint:
    """flask-smorest routes `url_prefix` and `url_prefix/<path_param>` for the chosen `operations`
    (default: list, create, get, replace, delete, and patch when `patch_schema` is given).
    `load(body) -> values` (POST/PUT/PATCH bodies) and `view(row) -> body` translate between API and stored
    shapes; `summaries` override the one-line OpenAPI summaries per operation; `list_args` (a PageArgsSchema
    subclass) and `filters(args) -> SQLAlchemy clauses` filter the list. The blueprint's name (also its OpenAPI
    tag) defaults to the prefix without its version: "/v1/sla/policies" -> "sla_policies"."""
    ops = tuple(operations or [o for o in OPERATIONS if o != "patch" or patch_schema is not None])
    unknown = set(ops) - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown operations {sorted(unknown)}")
    load, view = load or dict, view or dict
    docs = {**_summaries(resource), **(summaries or {})}
    default_name = "_".join(p for p in url_prefix.strip("/").split("/") if not re.fullmatch(r"v\d+", p))
    blp = Blueprint(name or default_name.replace("-", "_"), __name__,
                    url_prefix=url_prefix, description=description or f"{resource.plural.capitalize()}.")
    page = page_schema(schema, page_name or f"{schema.__name__.removesuffix('Schema')}Page")
    etag = {"ETag": {"description": "the version, for If-Match", "schema": {"type": "string"}}}
    if_match = [{"in": "header", "name": "If-Match", "required": require_if_match, "schema": {"type": "string"},
                 "description": "the ETag (version) you read; a stale one is refused with 409"}]

    def uow() -> UnitOfWork:
        return current_app.extensions["firebreak.uow"]()

    def out(row: dict[str, Any], status: int = 200):
        headers = {"ETag": f'"{row["version"]}"'} if resource.versioned else {}
        if status == 201:
            # Quoted: a name may hold characters no header may (CR, LF) or that end a path segment.
            headers["Location"] = f"{url_prefix}/{quote(str(row[resource.lookup[0]]), safe='')}"
        return view(row), status, headers

    def expected() -> int | None:
        found = expected_version()
        if found is None and require_if_match and resource.versioned and request.headers.get("If-Match") is None:
            raise PreconditionRequired("send If-Match with the ETag you read",
                                       errors=field_errors("If-Match", "required", "headers"))
        return found

    def list_(self, args):
        page_ = resource.list(uow(), args["limit"], args["cursor"], filters(args) if filters else ())
        return {"items": [view(r) for r in page_["items"]], "next_cursor": page_["next_cursor"]}

    def create(self, body):
        return out(resource.create(uow(), load(body), current_principal()), 201)

    def get(self, **ref):
        return out(resource.get(uow(), ref[path_param]))

    def replace(self, body, **ref):
        return out(resource.replace(uow(), ref[path_param], load(body), expected(), current_principal()))

    def patch(self, body, **ref):
        return out(resource.patch(uow(), ref[path_param], load(body), expected(), current_principal()))

    def remove(self, **ref):
        resource.delete(uow(), ref[path_param], expected(), current_principal())

    one = f"/<{path_param}>"
    routes: dict[str, dict[str, Callable]] = {"": {}, one: {}}
    for op, rule, method, func, body, status, answer in (  # request body schema, response status and schema
            ("list", "", "get", list_, None, 200, page), ("create", "", "post", create, schema, 201, schema),
            ("get", one, "get", get, None, 200, schema), ("replace", one, "put", replace, schema, 200, schema),
            ("patch", one, "patch", patch, patch_schema or schema(partial=True), 200, schema),
            ("delete", one, "delete", remove, None, 204, None)):
        if op not in ops:
            continue
        func.__doc__ = docs[op]
        func = blp.response(status, answer, headers=etag if answer is schema and resource.versioned else None)(func)
        if op == "list":
            func = blp.arguments(list_args, location="query")(func)
        elif body is not None:
            func = blp.arguments(body)(func)
        if rule == one and method != "get" and resource.versioned:
            func = blp.doc(parameters=if_match)(func)
        routes[rule][method] = require_role(read_role if method == "get" else write_role)(func)
    stem = "".join(part.capitalize() for part in blp.name.split("_"))
    for rule, methods in routes.items():
        if methods:
            blp.route(rule)(type(stem + ("ById" if rule else ""), (MethodView,), methods))
    return blp


def _summaries(resource: Resource) -> dict[str, str]:
    noun = resource.noun
    a = "an" if noun[:1].lower() in "aeiou" else "a"
    guard = "; If-Match guards against overwriting someone else's change" if resource.versioned else ""
    return {"list": f"List {resource.plural} by name.", "create": f"Create {a} {noun}.",
            "get": f"Get {a} {noun}" + ("; its ETag is its version, for If-Match on writes." if guard else "."),
            "replace": f"Replace {a} {noun}{guard}.", "patch": f"Change fields of {a} {noun}{guard}.",
            "delete": f"Delete {a} {noun}."}
