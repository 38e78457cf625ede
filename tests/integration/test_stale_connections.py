"""Without pool_pre_ping, pooled connections that PostgreSQL dropped still get clean answers, never a 500."""

from __future__ import annotations

import pytest

from firebreak.devstack import LocalPostgres, wait_for
from firebreak.registry import definition
from firebreak.setup import migrate_database

BODY = {"title": "Checkout latency", "severity": "major", "priority": "high"}


def restart(pg: LocalPostgres) -> None:
    """Stop fast (every backend is terminated, as in a failover or an upgrade) and start on the same port."""
    pg.halt()
    pg.start()


@pytest.fixture
def incident_app(own_postgres, base_env):
    service = definition("incident")
    env = {**base_env, "DATABASE_URL": own_postgres.create_database("incident_stale")}
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    app = service.create_app(runtime=runtime)
    yield app
    runtime.dispose()


def test_posts_after_a_postgres_restart_get_201_or_503_with_retry_after_never_500(own_postgres, incident_app,
                                                                                  token):
    client, headers = incident_app.test_client(), token("responder")
    engine = incident_app.extensions["firebreak"].engine
    # Fill the pool with several connections, all of which the restart will kill.
    with engine.connect(), engine.connect(), engine.connect():
        pass
    assert client.post("/v1/incidents", json=BODY, headers=headers).status_code == 201

    restart(own_postgres)

    first = client.post("/v1/incidents", json=BODY, headers=headers)
    assert first.status_code in (201, 503), first.get_data(as_text=True)
    if first.status_code == 503:
        assert first.mimetype == "application/problem+json" and int(first.headers["Retry-After"]) > 0
    later = [client.post("/v1/incidents", json=BODY, headers=headers).status_code for _ in range(5)]
    assert later == [201] * 5
    listed = client.get("/v1/incidents?limit=50", headers=token("viewer")).get_json()["items"]
    assert len(listed) == 1 + (first.status_code == 201) + 5


def test_a_connection_killed_by_the_server_is_replaced_before_use(own_postgres, incident_app, token):
    client, headers = incident_app.test_client(), token("responder")
    assert client.post("/v1/incidents", json=BODY, headers=headers).status_code == 201
    # The server ends every other backend (an admin's pg_terminate_backend, a pooler's cull): the pooled
    # connection's socket gets the server's goodbye, which the checkout check reads as "ping before use".
    others = "FROM pg_stat_activity WHERE datname = 'incident_stale' AND pid <> pg_backend_pid()"
    with _admin(own_postgres) as conn:
        assert conn.execute(f"SELECT count(pg_terminate_backend(pid)) {others}").fetchone()[0] >= 1
        wait_for(lambda: conn.execute(f"SELECT count(*) {others}").fetchone()[0] == 0, timeout=10,
                 what="the terminated backends to exit")
    answers = [client.post("/v1/incidents", json=BODY, headers=headers).status_code for _ in range(3)]
    assert answers == [201, 201, 201]


def _admin(pg: LocalPostgres):
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres", autocommit=True)
