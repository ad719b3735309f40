"""The modem API under Schemathesis, against its own OpenAPI schema: never a 500.

In-process (ASGI), simulated modem with instant reconnects, with the bearer token. The
number of examples per operation is bounded so the test stays a few seconds long.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from modem_service import Settings, create_app  # noqa: E402

TOKEN = "t"
APP = create_app(Settings(backend="simulated", token=TOKEN, sim_rotation_seconds=0))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    # The schema declares bearer auth, so generated cases carry made-up tokens: use ours.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, (case.method, case.path, response.text[:200])
    assert response.status_code != 401, "the token was sent: 401 means auth is broken"
