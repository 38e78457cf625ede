"""Schemathesis' stateful phase: sequences of calls linked through the responses (ids from a create fed to the
get, patch and delete that take them), in-process against each service; never a 5xx, 4xx are problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import MetaData

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.auth import mint
from libs.common.config import SERVICES, AuthSettings
from tests.conftest import SECRET

# The budget: sequences of up to 8 calls, 40 of them per service (~6 s a service here), so this and
# test_api_fuzz.py stay around 3 minutes together.
BUDGET = settings(max_examples=40, stateful_step_count=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))


@pytest.fixture(params=SERVICES)
def fuzz_app(request, tmp_path):
    env = {"FIREBREAK_DATA_DIR": str(tmp_path), "FIREBREAK_JWT_SECRET": SECRET,
           "AMQP_URL": "memory://", "FIREBREAK_LOG_LEVEL": "CRITICAL"}
    service = definition(request.param)
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    app = service.create_app(runtime=runtime)
    app.extensions["test.runtime"] = runtime
    yield app
    runtime.dispose()


def emptier(runtime):
    """Empty every table, so each sequence starts from the same state (Hypothesis replays sequences)."""
    metadata = MetaData()
    metadata.reflect(runtime.engine)
    tables = [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]

    def empty() -> None:
        with runtime.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())

    return empty


def test_stateful_sequences_make_no_server_error(fuzz_app):
    token = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, None), "fuzzer", "admin")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    # Valid requests, so creates succeed and their ids flow into the calls linked to them; invalid input is
    # test_api_fuzz.py's and the hostile corpus's job.
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    machine = schema.as_state_machine()
    empty = emptier(fuzz_app.extensions["test.runtime"])

    class Sequences(machine):
        def setup(self):
            empty()

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            status = response.status_code
            where = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:300]}"
            assert status < 500, f"{where}: {status} {response.text[:500]}"
            content_type = (response.headers.get("content-type") or [""])[0]
            if status >= 400 and not case.formatted_path.startswith("/v2/"):
                assert content_type.startswith("application/problem+json"), f"{where}: {status} {content_type}"

    Sequences.run(settings=BUDGET)
