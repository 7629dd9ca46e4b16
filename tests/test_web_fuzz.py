"""The JSON API fuzzed from its own OpenAPI schema (schemathesis): no input makes a server error,
and every refusal is the one error shape with a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the webtest extra is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402

from combien.web import create_app  # noqa: E402

STORE = Path(__file__).parent / "no-such-folder" / "runs.db"  # read-only: a missing store is empty
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(str(STORE)))


@schema.exclude(path_regex="^/api/plan$").parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_a_server_error(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["message"] and "Traceback" not in error["message"]


# a plan searches thousands of configurations per call: fuzzed with fewer examples
@schema.include(path_regex="^/api/plan$").parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_plan_refuses_cleanly(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
