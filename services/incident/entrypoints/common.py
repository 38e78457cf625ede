"""What every incident route needs: the unit of work, the caller, the version they expect."""

from __future__ import annotations

from flask import current_app, request

from libs.common.auth import current_principal
from libs.common.errors import ProblemError
from libs.common.pagination import decode_cursor, encode_cursor


def uow():
    return current_app.extensions["firebreak.uow"]()


def principal():
    return current_principal()


def expected_version() -> int | None:
    """The version named by If-Match ("3" or W/"3"), if any."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ProblemError("If-Match must carry the incident's version as its ETag, e.g. \"3\"",
                           errors=[{"field": "If-Match", "location": "headers", "message": "not a version"}])
    return int(tag)


def page_by_name(fetch, args) -> dict:
    """A page of name-ordered rows after the cursor's name."""
    after = decode_cursor(args["cursor"], str)[0] if args["cursor"] else None
    items = fetch(args["limit"] + 1, after)
    more = len(items) > args["limit"]
    items = items[: args["limit"]]
    return {"items": items, "next_cursor": encode_cursor([items[-1]["name"]]) if more else None}
