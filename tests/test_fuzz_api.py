"""API fuzzing with schemathesis over the app's own OpenAPI schema, in-process against the ASGI app.

Every operation gets at most MAX_EXAMPLES generated requests (valid and invalid), derandomized so that runs are
repeatable, sent with an editor token so that writes get past authentication (each test's transaction is
rolled back). Checks: no 5xx; 2xx bodies match the documented schema; every 4xx is RFC 9457 problem details.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.config import Settings
from app.main import create_app

MAX_EXAMPLES = 25
EXAMPLES_RUN: dict[str, int] = {}




class CurrentApp:
    """ASGI proxy: the schema is loaded once at import, requests go to the current test's app (and transaction).

    (schemathesis.pytest.from_fixture would be the natural tool but does not support pytest 9 yet.)
    """

    def __init__(self) -> None:
        self.app: Any = create_app(Settings(database_url="sqlite://", auto_migrate=False, auto_seed=False))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT = CurrentApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT)


def success_matches_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """The documented response schema is checked for 2xx only: errors are problem details (checked below)."""
    if response.status_code < 300:
        return response_schema_conformance(ctx, response, case)
    return None


def errors_are_problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), f"{response.status_code} as {content_type}"
    body = json.loads(response.content)
    assert body["status"] == response.status_code, body
    assert isinstance(body["title"], str) and isinstance(body["detail"], str) and body["detail"], body
    return True


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_keeps_its_contract(case, app, editor_headers) -> None:  # type: ignore[no-untyped-def]
    """No input makes the API crash, lie about its success bodies or answer an error without problem details."""
    CURRENT.app = app
    case.call_and_validate(headers=editor_headers,
                           checks=[not_a_server_error, success_matches_schema, errors_are_problem_details])
    key = case.operation.label
    EXAMPLES_RUN[key] = EXAMPLES_RUN.get(key, 0) + 1


def test_fuzz_examples_were_run() -> None:
    """Runs after the fuzz test in file order: every operation got at least one example (print the total)."""
    if not EXAMPLES_RUN:
        pytest.skip("fuzz test deselected")
    print(f"\nschemathesis: {sum(EXAMPLES_RUN.values())} requests over {len(EXAMPLES_RUN)} operations")
    assert all(count >= 1 for count in EXAMPLES_RUN.values())
