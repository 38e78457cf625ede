"""Opaque keyset cursors and the query arguments of every list endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any

from marshmallow import Schema, fields, validate

from libs.common.errors import ProblemError


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except ValueError:
        raise ProblemError("cursor is not one this API issued",
                           errors=[{"field": "cursor", "location": "query", "message": "invalid cursor"}]) from None


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True),
    }, name=name)
