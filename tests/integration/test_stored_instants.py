"""A far-future silence or window cannot take alert intake down on PostgreSQL (issue 14)."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import create_engine, text

from tests.integration.helpers import bearer, query
from tests.senders import fixture

YEAR_10000_IN_UTC = "9999-12-31T23:59:59-14:00"


def _insert(url: str, sql: str, **params) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_out_of_range_instants_are_refused_and_bad_rows_do_not_stop_intake(stack):
    api = stack.start_api("incident")
    admin = bearer("admin")
    created = requests.post(f"{api}/v1/integrations", json={"name": "am", "kind": "alertmanager"},
                            headers=admin, timeout=10).json()

    silence = requests.post(f"{api}/v1/alerts/silences", headers=admin, timeout=10, json={
        "matchers": [{"label": "alertname", "op": "=", "value": "Nothing"}], "expires_at": YEAR_10000_IN_UTC})
    assert silence.status_code == 422
    assert silence.headers["Content-Type"].startswith("application/problem+json")
    assert "expires_at" in {e["field"] for e in silence.json()["errors"]}
    window = requests.post(f"{api}/v1/alerts/maintenance-windows", headers=admin, timeout=10, json={
        "team": "sre", "starts_at": "0001-01-01T00:00:00+14:00", "ends_at": YEAR_10000_IN_UTC})
    assert window.status_code == 422
    assert {"starts_at", "ends_at"} <= {e["field"] for e in window.json()["errors"]}

    # Rows written before the API checked the range: PostgreSQL holds them, the driver cannot read them back.
    url = stack.env["FIREBREAK_INCIDENT_DATABASE_URL"]
    _insert(url, "INSERT INTO silences (id, integration_id, matchers, expires_at, created_by, created_at) "
                 "VALUES (:id, NULL, CAST(:m AS json), CAST(:at AS timestamptz), 'mallory', now())",
            id=str(uuid.uuid4()), m='[{"label": "alertname", "op": "=", "value": "Nothing"}]', at=YEAR_10000_IN_UTC)
    _insert(url, "INSERT INTO maintenance_windows (id, integration_id, starts_at, ends_at, created_by, created_at) "
                 "VALUES (:id, :integration, CAST(:start AS timestamptz), CAST(:end AS timestamptz), 'mallory', now())",
            id=str(uuid.uuid4()), integration=created["id"], start="0001-01-01T00:00:00+14:00", end=YEAR_10000_IN_UTC)

    assert requests.get(f"{api}/v1/alerts/silences", headers=admin, timeout=10).status_code == 200
    assert requests.get(f"{api}/v1/alerts/maintenance-windows", headers=admin, timeout=10).status_code == 200
    sent = requests.post(f"{api}/v1/alerts/alertmanager", json=fixture("alertmanager-v4-firing.json"),
                         headers={"X-Firebreak-Key": created["key"]}, timeout=30)
    assert sent.status_code == 202, sent.text
    assert query(url, "SELECT count(*) FROM incidents")[0][0] == 1
