"""Opaque keyset cursors and the query arguments of every list endpoint."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from libs.common.errors import ProblemError


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _bad_cursor() -> ProblemError:
    return ProblemError("cursor is not one this API issued",
                        errors=[{"field": "cursor", "location": "query", "message": "invalid cursor"}])


def _fits(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is datetime:  # an ISO 8601 instant, kept as the string
            try:
                if isinstance(value, str) and datetime.fromisoformat(value):
                    return True
            except ValueError:
                continue
        elif isinstance(value, k) and not (isinstance(value, bool) and k is not bool):
            return True
    return False


def decode_cursor(cursor: str, *shape: type | tuple[type, ...]) -> list[Any]:
    """The values of a cursor this API issued; with `shape`, exactly that many of those types (`datetime`: an ISO
    string). Anything else, however well-formed (`W10` is `[]`), is a 400 naming `cursor`, never a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, RecursionError):
        raise _bad_cursor() from None
    if not isinstance(values, list) or not values:
        raise _bad_cursor()
    if shape and (len(values) != len(shape) or not all(_fits(v, k) for v, k in zip(values, shape, strict=True))):
        raise _bad_cursor()
    return values


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True),
    }, name=name)
