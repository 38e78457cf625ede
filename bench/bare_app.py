"""The baseline of bench/incidents.py: a bare Flask app, no database, no broker, no auth, no schemas.

POST /v1/incidents parses the JSON body and answers 201 with a small JSON body; GET /healthz says it is up.
The benchmark serves it with firebreak/gunicorn_conf.py, as the incident api is served:

    python -m gunicorn -c firebreak/gunicorn_conf.py bench.bare_app:app
"""

from __future__ import annotations

import uuid

from flask import Flask, request

app = Flask("bench.bare")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/v1/incidents")
def create_incident():
    body = request.get_json()
    return {"id": str(uuid.uuid4()), "title": body["title"], "severity": body["severity"],
            "priority": body["priority"], "status": "new"}, 201


@app.post("/v1/alerts/generic")
def receive_alert():
    """bench/alert_storm.py's baseline: parse the alert, answer 202."""
    body = request.get_json()
    return {"status": "accepted", "dedup_key": body.get("dedup_key")}, 202
