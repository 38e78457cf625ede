"""Schemathesis against each service's own OpenAPI document: whatever it is sent, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from firebreak.registry import definition
from firebreak.setup import migrate_database
from libs.common.auth import mint
from libs.common.config import SERVICES, AuthSettings
from tests.conftest import SECRET

# PagerDuty-compatible endpoints answer errors in PagerDuty's own body ({"status", "message", "errors"}), which
# its client libraries read, not in problem+json.
PAGERDUTY_COMPATIBLE = ("/v2/enqueue", "/v2/change/enqueue")


@pytest.fixture(params=SERVICES)
def fuzz_app(request, tmp_path):
    env = {"FIREBREAK_DATA_DIR": str(tmp_path), "FIREBREAK_JWT_SECRET": SECRET,
           "AMQP_URL": "memory://", "FIREBREAK_LOG_LEVEL": "CRITICAL"}
    service = definition(request.param)
    runtime = service.runtime(env)
    migrate_database(service, runtime.settings)
    yield service.create_app(runtime=runtime)
    runtime.dispose()


@pytest.fixture(scope="module")
def admin_headers():
    token = mint(AuthSettings.from_env({"FIREBREAK_JWT_SECRET": SECRET}, None), "fuzzer", "admin")
    return {"Authorization": f"Bearer {token}"}


def operations(app) -> list:
    spec = app.extensions["firebreak.api"].spec.to_dict()
    return [result.ok() for result in schemathesis.openapi.from_dict(spec).get_all_operations()]


def test_no_input_makes_a_server_error(fuzz_app, admin_headers):
    """Every operation, fuzzed from its own schema: 4xx answers are problem+json, nothing is a 5xx."""
    failures = []
    for operation in operations(fuzz_app):
        @given(case=operation.as_strategy())
        @settings(max_examples=50, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            body = case.body if isinstance(case.body, dict | list | str | int | float | bool) else None
            with fuzz_app.test_client() as client:
                response = client.open(case.formatted_path, method=case.method, query_string=case.query,
                                       headers=admin_headers, json=body)
            expected = "application/json" if case.formatted_path in PAGERDUTY_COMPATIBLE else \
                "application/problem+json"
            if response.status_code >= 500 or (response.status_code >= 400 and response.mimetype != expected):
                failures.append((case.method, case.formatted_path, body, response.status_code,
                                 response.get_data(as_text=True)[:300]))

        run()
    assert not failures, "\n".join(sorted({f"{m} {p} {st}: {t[:600]}" for m, p, b, st, t in failures}))
