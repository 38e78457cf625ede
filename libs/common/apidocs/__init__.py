"""/docs: the API reference page, rendered in the browser from /openapi.json by a vendored script (no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

HERE = Path(__file__).resolve().parent
ENDPOINTS = frozenset({"apidocs.page", "apidocs.script"})


def docs_blueprint() -> Blueprint:
    """/docs and its script; public, like /openapi.json."""
    bp = Blueprint("apidocs", __name__)

    @bp.get("/docs")
    def page():
        return Response((HERE / "reference.html").read_bytes(), content_type="text/html; charset=utf-8")

    @bp.get("/docs/reference.js")
    def script():
        return Response((HERE / "reference.js").read_bytes(), content_type="text/javascript; charset=utf-8")

    return bp
