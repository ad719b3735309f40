"""The modem API under Schemathesis, against its own OpenAPI schema: never a 500.

In-process (ASGI), simulated modem with instant reconnects, with the bearer token. Every
operation gets 40 examples; the IP-log reads, whose ``since``/``until`` dates once answered
500 for times whose UTC falls outside years 1 to 9999, get many more (bounded so the whole
file stays well under 30 s).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from datetime import datetime, timedelta, timezone  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from modem_service import Settings, create_app  # noqa: E402

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
APP = create_app(Settings(backend="simulated", token=TOKEN, sim_rotation_seconds=0))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=AUTH)


DATE_OPERATIONS = "^/(ips|ranges)$"
DATE_EXAMPLES = 400


def _call(case: schemathesis.Case) -> None:
    # The schema declares bearer auth, so generated cases carry made-up tokens: use ours.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, (case.method, case.path, response.text[:200])
    assert response.status_code != 401, "the token was sent: 401 means auth is broken"


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    _call(case)


@schema.include(path_regex=DATE_OPERATIONS).parametrize()
@settings(max_examples=DATE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_for_any_date_filter(case: schemathesis.Case) -> None:
    _call(case)


# ISO 8601 offsets are whole minutes, up to 14 hours either way.
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


# Times at the calendar's ends, where an offset can push UTC out of years 1 to 9999.
ENDS = st.datetimes(max_value=datetime(1, 1, 2)) | st.datetimes(min_value=datetime(9999, 12, 30))
MOMENTS = st.datetimes(timezones=st.none() | OFFSETS) | ENDS.flatmap(
    lambda naive: st.builds(naive.replace, tzinfo=st.none() | OFFSETS)
)


def test_any_iso_time_as_a_filter_is_answered_or_refused() -> None:
    """Schemathesis rarely draws a time at the calendar's ends; this aims at them."""
    with TestClient(APP) as client:

        @given(moment=MOMENTS, name=st.sampled_from(["since", "until"]))
        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        def answered_or_refused(moment: datetime, name: str) -> None:
            for path in ("/ips", "/ranges"):
                answer = client.get(path, params={name: moment.isoformat()}, headers=AUTH)
                assert answer.status_code in {200, 422}, (path, moment, answer.text[:200])

        answered_or_refused()
