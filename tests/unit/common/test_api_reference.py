"""Each service's /openapi.json and /docs are public; /docs is served from vendored files, no CDN."""

from __future__ import annotations

import re


def test_openapi_and_docs_need_no_token(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and "/v1/incidents" in spec.get_json()["paths"]
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert not re.search(r"(src|href)=\"(https?:)?//", page.get_data(as_text=True))
    script = client.get("/docs/reference.js")
    assert script.status_code == 200 and b"openapi.json" in script.data
    assert client.get("/v1/incidents").status_code == 401
