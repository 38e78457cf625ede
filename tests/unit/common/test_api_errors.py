"""Bad input and bad credentials get problem+json with the field at fault; never a 500."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.auth import mint
from libs.common.config import AuthSettings
from tests.conftest import SECRET

VALID = {"title": "API down", "severity": "major", "priority": "high"}


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_valid_post_creates(client, token):
    response = client.post("/v1/incidents", json=VALID, headers=token())
    assert response.status_code == 201
    assert response.get_json()["status"] == "new"


def test_malformed_json_is_400(client, token):
    response = client.post("/v1/incidents", data="{not json", content_type="application/json", headers=token())
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


@pytest.mark.parametrize("payload, field, message", [
    ({**VALID, "title": 12}, "title", "Not a valid string."),
    ({**VALID, "severity": "apocalyptic"}, "severity", "Must be one of"),
    ({**VALID, "private": "sometimes"}, "private", "Not a valid boolean."),
    ({"severity": "major", "priority": "high"}, "title", "Missing data for required field."),
    ({**VALID, "colour": "red"}, "colour", "Unknown field."),
    ([VALID], None, "Invalid input type."),
])
def test_invalid_fields_are_422_naming_the_field(client, token, payload, field, message):
    body = assert_problem(client.post("/v1/incidents", json=payload, headers=token()), 422)
    matching = [e for e in body["errors"] if e["field"] == field]
    assert matching, body["errors"]
    assert message in matching[0]["message"]
    assert matching[0]["location"] == "json"


def test_one_megabyte_body_is_413(client, token):
    big = {**VALID, "title": "x" * (1024 * 1024)}
    assert_problem(client.post("/v1/incidents", json=big, headers=token()), 413)


def test_unknown_path_is_404_and_wrong_method_405(client, token):
    assert_problem(client.get("/v1/nothing-here", headers=token()), 404)
    body = assert_problem(client.delete("/v1/incidents", headers=token()), 405)
    assert body["detail"]


def test_missing_incident_is_404(client, token):
    assert_problem(client.get("/v1/incidents/nope", headers=token()), 404)


def test_bad_query_argument_is_422(client, token):
    body = assert_problem(client.get("/v1/incidents?limit=0", headers=token()), 422)
    assert body["errors"][0]["field"] == "limit" and body["errors"][0]["location"] == "query"
    assert_problem(client.get("/v1/incidents?cursor=%%%", headers=token()), 400)


def test_unexpected_error_is_500_without_trace(client, token, monkeypatch):
    from services.incident.service_layer import handlers

    def explode(*_a, **_k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(handlers, "declare_incident", explode)
    body = assert_problem(client.post("/v1/incidents", json=VALID, headers=token()), 500)
    assert "secret internals" not in str(body)


class TestAuth:
    def test_no_token_is_401(self, client):
        body = assert_problem(client.get("/v1/incidents"), 401)
        assert "bearer token" in body["detail"]

    def test_bad_signature_is_401(self, client):
        forged = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": "y" * 48}, None), "mallory", "admin")
        body = assert_problem(client.get("/v1/incidents", headers={"Authorization": f"Bearer {forged}"}), 401)
        assert "signature" in body["detail"].lower()

    def test_expired_token_is_401(self, client, auth_settings):
        old = mint(auth_settings, "alice", "admin", ttl=timedelta(seconds=-120))
        body = assert_problem(client.get("/v1/incidents", headers={"Authorization": f"Bearer {old}"}), 401)
        assert "expired" in body["detail"]

    def test_unknown_role_is_401(self, client):
        forged = jwt.encode({"sub": "a", "role": "god", "exp": 9999999999, "iss": "firebreak", "aud": "firebreak"},
                            SECRET, algorithm="HS256")
        assert_problem(client.get("/v1/incidents", headers={"Authorization": f"Bearer {forged}"}), 401)

    def test_alg_none_is_refused(self, client):
        unsigned = jwt.encode({"sub": "a", "role": "admin", "exp": 9999999999, "iss": "firebreak",
                               "aud": "firebreak"}, None, algorithm="none")
        assert_problem(client.get("/v1/incidents", headers={"Authorization": f"Bearer {unsigned}"}), 401)

    def test_viewer_reads_but_cannot_write(self, client, token):
        assert client.get("/v1/incidents", headers=token("viewer")).status_code == 200
        body = assert_problem(client.post("/v1/incidents", json=VALID, headers=token("viewer")), 403)
        assert "responder" in body["detail"]

    def test_openapi_health_and_metrics_need_no_token(self, client, token):
        # The API reference is public (issue 13): clients and the /docs page read it before they hold a token.
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/openapi.json", headers=token("viewer")).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200

    def test_rs256_tokens(self, base_env, tmp_path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        env = {**base_env, "FIREBREAK_JWT_PUBLIC_KEY": public}
        service = definition("incident")
        runtime = service.runtime(env)
        migrate_database(service, runtime.settings)
        client = service.create_app(runtime=runtime).test_client()
        signer = AuthSettings.from_env({**env, "FIREBREAK_JWT_PRIVATE_KEY": private}, tmp_path)
        good = mint(signer, "alice", "viewer")
        assert client.get("/v1/incidents", headers={"Authorization": f"Bearer {good}"}).status_code == 200
        hs = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, tmp_path), "alice", "admin")
        assert client.get("/v1/incidents", headers={"Authorization": f"Bearer {hs}"}).status_code == 401
        runtime.dispose()


def test_request_id_is_echoed_and_travels_into_the_event(client, token, base_env):
    from sqlalchemy import create_engine, text

    response = client.post("/v1/incidents", json=VALID, headers={**token(), "X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"
    engine = create_engine(f"sqlite:///{base_env['FIREBREAK_DATA_DIR']}/incident.db")
    with engine.connect() as conn:
        headers = conn.execute(text("SELECT headers FROM outbox")).scalar_one()
    assert '"ce-correlationid": "req-123"' in headers
    engine.dispose()


def test_private_incidents_hidden_from_other_teams(client, token):
    secret = client.post("/v1/incidents", json={**VALID, "team": "payments", "private": True},
                         headers=token(teams=["payments"])).get_json()
    client.post("/v1/incidents", json=VALID, headers=token())
    outsider = token("responder", "bob", ["search"])
    assert client.get(f"/v1/incidents/{secret['id']}", headers=outsider).status_code == 404
    assert secret["id"] not in [i["id"] for i in client.get("/v1/incidents", headers=outsider).get_json()["items"]]
    member = token("viewer", "carol", ["payments"])
    assert client.get(f"/v1/incidents/{secret['id']}", headers=member).status_code == 200
    assert client.get(f"/v1/incidents/{secret['id']}", headers=token("admin", "root")).status_code == 200


def test_list_paginates_with_cursor(client, token):
    ids = {client.post("/v1/incidents", json={**VALID, "title": f"t{i}"}, headers=token()).get_json()["id"]
           for i in range(5)}
    seen, cursor = [], None
    while True:
        url = "/v1/incidents?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=token()).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and set(seen) == ids
