"""``since`` / ``until`` at the ends of the calendar: 422 when UTC has no such time, never 500."""

from __future__ import annotations

import asyncio

import pytest

from modem_service import Settings, create_app
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated

OUT_OF_UTC = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
AT_THE_EDGES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59.999999", "0001-01-01T00:00:00Z"]
CASES = [("/ips", "since"), ("/ips", "until"), ("/ranges", "since")]


def _statuses(values: list[str]) -> dict[tuple[str, str, str], int]:
    async def scenario() -> dict[tuple[str, str, str], int]:
        app = create_app(Settings(backend="simulated", token=TOKEN), backend=simulated())
        async with running(app) as client:
            return {
                (path, name, value): (
                    await client.get(path, params={name: value}, headers=AUTH)
                ).status_code
                for path, name in CASES
                for value in values
            }

    return asyncio.run(scenario())


@pytest.mark.parametrize("value", OUT_OF_UTC)
def test_a_time_outside_utc_years_is_a_422(value: str) -> None:
    assert set(_statuses([value]).values()) == {422}


def test_the_first_and_last_representable_times_are_answered() -> None:
    assert set(_statuses(AT_THE_EDGES).values()) == {200}
