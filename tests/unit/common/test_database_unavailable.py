"""An unreachable database is a 503 with Retry-After, never a 500."""

from __future__ import annotations

from firebreak.registry import definition


def test_api_answers_503_with_retry_after_while_its_database_is_unreachable(base_env, token):
    service = definition("incident")
    app = service.create_app(env={**base_env, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    response = app.test_client().get("/v1/incidents", headers=token("viewer"))
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "Traceback" not in response.get_data(as_text=True)
