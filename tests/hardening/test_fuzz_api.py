"""Fuzzing the HTTP API (issue 8, item 2): schemathesis generates requests from the app's own
``/openapi.json`` — valid and invalid ones — and sends them in-process (ASGI) with real idp tokens of
several roles against the seeded world. Two checks per response: no server error (any 5xx is a bug: bad
input must get a 4xx naming the problem) and the response matches the schema the route declares.

Bounded: ``EXAMPLES`` per operation and mode, no shrinking, no example database; the whole run stays well
under a minute. The total is written to test-artifacts/fuzz.summary.txt for ``make test``'s summary (its
own line; the stateful run and the form fuzzer, test_fuzz_stateful.py and test_fuzz_forms.py, add theirs).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.helpers.fuzz_report import record

EXAMPLES = 10
ROLES = ["anonymous", "holder_a", "agent", "clerk_x", "approver_x", "admin", "dept_grant"]
# Operations not fuzzed here, and why (each is covered elsewhere).
EXCLUDED: dict[str, str] = {}


def test_fuzz_openapi_operations(world: Any) -> None:
    """No 5xx and schema-conformant responses for generated requests to every documented operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    failures: list[str] = []
    counted = {"examples": 0, "server_errors": 0}
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in EXCLUDED:
            continue
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=strategy, role=st.sampled_from(ROLES))
        def run(case: Any, role: str) -> None:
            counted["examples"] += 1
            response = case.call(headers=world.headers(role))
            if response.status_code >= 500:
                counted["server_errors"] += 1
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except (AssertionError, Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
            failures.append(f"{label}: {str(exc).strip()[:1500]}")
    record("fuzzing:", f"{counted['examples']} examples over {operations} operations, "
                       f"{counted['server_errors']} server errors, {len(failures)} failing operations")
    assert operations > 50
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings(settings: Any, world_tools: Any) -> Any:
    """The test settings without lockout and rate limits (see conftest.relaxed)."""
    return world_tools.relaxed(settings)


def test_ids_beyond_an_integer_column_are_a_422(world: Any) -> None:
    """Regression for the 500s the fuzzer found (driver overflow on SQLite, out of range on PostgreSQL)."""
    huge = 2**40
    calls = [
        ("holder_a", "POST", f"/api/wallet/grants/{huge}/withdraw", None),
        ("holder_a", "DELETE", f"/api/appointments/{huge}", None),
        ("admin", "POST", f"/api/complaints/{huge}", {"status": "in_progress"}),
        ("holder_a", "POST", "/api/appointments", {"slot_id": huge, "item": "WSJK-GG-0001"}),
        ("clerk_x", "GET", f"/api/departments/{world.refs['dept_x']}/queue?after=0:2026-01-05:{huge}", None),
        ("anonymous", "GET", f"/api/calendar?year={huge}", None),
    ]
    for role, method, path, body in calls:
        response = world.api(role, method, path, json=body)
        assert response.status_code in (400, 422), (path, response.status_code, response.text)
