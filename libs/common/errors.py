"""RFC 9457 problem details for every error, with the fields at fault; never a trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from libs.common.db import is_transient

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://firebreak.dev/problems/"


class ProblemError(Exception):
    """An error the API reports as a problem document."""

    status = 400
    title = "Bad Request"
    slug = "bad-request"

    def __init__(self, detail: str | None = None, errors: list[dict[str, Any]] | None = None, **extensions: Any):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation-failed"


def field_errors(field: str, message: str, location: str = "json") -> list[dict[str, str]]:
    """The `errors` list of a problem naming one field at fault."""
    return [{"field": field, "location": location, "message": message}]


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Dict())


def problem(status: int, title: str, detail: str | None = None, slug: str | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
            **extensions: Any) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_messages(messages: Any, location: str | None = None, path: tuple = ()) -> list[dict[str, Any]]:
    """Turn marshmallow/webargs nested messages into [{field, pointer, location, message}]."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if location is None and not path and key in ("json", "query", "path", "headers", "form", "files"):
                out.extend(flatten_messages(value, key, ()))
            else:
                out.extend(flatten_messages(value, location, (*path, key)))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        for message in messages:
            out.append(_field_error(location, path, message))
    elif isinstance(messages, list | tuple):
        for index, value in enumerate(messages):
            out.extend(flatten_messages(value, location, (*path, index)))
    else:
        out.append(_field_error(location, path, str(messages)))
    return out


def _field_error(location: str | None, path: tuple, message: str) -> dict[str, Any]:
    name = ".".join(str(p) for p in path if p != "_schema")
    entry: dict[str, Any] = {"field": name or None, "message": message}
    entry["pointer"] = "#/" + "/".join(str(p) for p in path if p != "_schema")
    if location:
        entry["location"] = location
    return entry


RETRY_AFTER_SECONDS = 5

_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
          415: "unsupported-media-type", 422: "validation-failed", 429: "too-many-requests"}


def install(app: Flask) -> None:
    """Answer every error, expected or not, with application/problem+json."""

    @app.errorhandler(ProblemError)
    def _problem_error(exc: ProblemError):
        headers = {"WWW-Authenticate": 'Bearer realm="firebreak"'} if exc.status == 401 else None
        return problem(exc.status, exc.title, exc.detail, exc.slug, exc.errors, headers, **exc.extensions)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        errors = flatten_messages(data["messages"]) if "messages" in data else None
        detail = exc.description
        if exc.code == 422:
            detail = "the request body or parameters did not validate; see errors"
        elif exc.code == 400 and errors:
            detail = "; ".join(e["message"] for e in errors)
        elif exc.code == 413:
            detail = f"request body larger than {app.config.get('MAX_CONTENT_LENGTH')} bytes"
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return problem(exc.code or 500, exc.name, detail, _SLUGS.get(exc.code or 500), errors, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_transient(exc):
            logger.warning("database unavailable", extra={"fields": {"path": request.path, "error": repr(exc)[:300]}})
            return problem(503, "Service Unavailable", "the database is unavailable or busy; retry shortly",
                           "unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        logger.exception("unhandled error", extra={"fields": {"path": request.path}})
        return problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged",
                       "internal-error")
