"""Schemathesis against the served OpenAPI schema: zero 5xx, for signed-in and anonymous calls.

Bounded for CI (a few examples per operation, no shrinking deadline); every response must also be
problem+json when it is an error.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_target(api_server):
    with httpx.Client(base_url=api_server + "/api/v1", timeout=60) as http:
        headers = sign_up(http)
        http.post("/clients", json={"name": "Fuzz Ltd"}, headers=headers)
    return api_server, headers


def _fuzz(operation, base, headers, failures, calls):
    use = {} if operation.path.endswith("/sign-out") else headers  # keep the shared token alive

    @settings(
        max_examples=8,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(base_url=base, headers=use, timeout=60)
        calls.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{operation.method} {operation.path}: {response.status_code}")
        elif response.status_code >= 400:
            ctype = response.headers.get("content-type") or [""]
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            if not ctype.startswith("application/problem+json"):
                failures.append(f"{operation.method} {operation.path}: {ctype} error body")
            assert "Traceback" not in response.text

    run()


def test_no_server_errors_on_any_operation(fuzz_target):
    base, headers = fuzz_target
    api = schemathesis.openapi.from_url(base + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:
        _fuzz(operation, base, headers, failures, calls)
    print(f"schemathesis: {len(operations)} operations, {len(calls)} calls, {len(failures)} 5xx")
    assert not failures, failures[:20]
