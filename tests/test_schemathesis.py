"""Schemathesis generates requests from /api/openapi.json and sends them to the real app (as a
signed-in citizen with a CSRF token, so the checks get past the front door): no server error."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings


@pytest.fixture
def fuzz_app(app_factory, sign_in):
    app = app_factory(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in(client, "person1")
    return app, client


def test_no_request_from_the_schema_makes_a_server_error(fuzz_app):
    app, client = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    cookie = client.get_cookie("ashyq_session")
    failures, calls = [], []
    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            response = case.call(headers={"Cookie": f"ashyq_session={cookie.value}"})
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
        run()
    assert not failures, failures[:10]
    assert len(calls) > 200 and len(set(calls)) > 3  # it really exercised the API
