"""Refuse hostile input before any handler parses it: deep JSON, lone surrogates and NUL characters."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request

from libs.common.errors import ProblemError

MAX_JSON_DEPTH = 32
# A JSON string token, escapes included: removed before counting brackets, which only count outside strings.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class HostileInput(ProblemError):
    """Input no field of any API can hold; refused with the place it was found."""


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings don't count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", raw)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def bad_text(value: str) -> str | None:
    """Why a string can't be stored (a NUL, or half of a UTF-16 surrogate pair), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if _SURROGATE.search(value):
        return "contains a lone UTF-16 surrogate (not valid Unicode)"
    return None


def _walk(value: Any, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    if isinstance(value, str):
        reason = bad_text(value)
        return (path, reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            reason = bad_text(key)
            if reason:
                return (*path, key.encode("unicode_escape").decode()), f"key {reason}"
            found = _walk(item, (*path, key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk(item, (*path, str(index)))
            if found:
                return found
    return None


def _refuse(location: str, path: tuple[str, ...], message: str) -> HostileInput:
    field = ".".join(path) or None
    return HostileInput(f"{location} {field or 'body'}: {message}", errors=[
        {"field": field, "location": location, "pointer": "#/" + "/".join(path), "message": message}])


def check_json_body(raw: bytes) -> None:
    """Raise HostileInput if a JSON body nests too deep or holds text no database can store."""
    # Shortcuts for the common body, both exact: nesting needs an opening bracket per level, and a NUL or a
    # lone surrogate can only come as a \u escape, a raw surrogate (UTF-8 lead byte 0xED), or a NUL byte
    # (which UTF-16/32 bodies are full of); without any of these, neither the scan nor the parse can refuse.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise _refuse("json", (), f"nested deeper than {MAX_JSON_DEPTH} levels")
    if b"\\u" not in raw and b"\xed" not in raw and b"\x00" not in raw:
        return
    try:
        body = json.loads(raw)
    except ValueError:
        return  # malformed JSON is the body parser's to report, with its position
    found = _walk(body, ())
    if found:
        raise _refuse("json", *found)


def install(app: Flask) -> None:
    """Check every request's path parameters, query string and JSON body before its handler runs."""

    @app.before_request
    def _check_input():
        params = (("path", (request.view_args or {}).items()), ("query", request.args.items(multi=True)))
        for location, values in params:
            for name, value in values:
                reason = bad_text(value) if isinstance(value, str) else None
                if reason:
                    raise _refuse(location, (name,), reason)
        if request.mimetype and request.mimetype.endswith("json") and request.content_length != 0:
            raw = request.get_data(cache=True)
            if raw:
                check_json_body(raw)
