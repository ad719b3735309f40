"""The cooldown is visible: remaining seconds in /rotate and /health, no false "changed"."""

import asyncio

from modem_service import Settings, create_app
from modem_service.app import cooldown_seconds
from modem_service.rotation import Rotator
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_answer_says_no_new_ip_and_how_long_to_wait() -> None:
    modem, clock = simulated(), FakeClock()
    rotator = Rotator(modem, max_attempts=1, cooldown_seconds=60, clock=clock)

    async def scenario() -> tuple:
        first = await rotator.rotate()
        clock.now += 15
        second = await rotator.rotate()
        clock.now += 45
        third = await rotator.rotate()
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert first.changed and not first.coalesced and first.cooldown_remaining_seconds == 60
    assert first.retry_after_seconds is None
    assert second.coalesced and second.changed is False
    assert second.old_ip == second.new_ip == first.new_ip  # the caller keeps the IP it had
    assert second.cooldown_remaining_seconds == second.retry_after_seconds == 45
    assert third.changed and not third.coalesced  # the cooldown is over: a real rotation
    assert modem.steps_run == ["reconnect", "reconnect"]
    assert rotator.cooldown_remaining() == 60


def test_joining_a_running_rotation_still_counts_as_changed() -> None:
    modem = simulated(rotation_seconds=0.1)
    rotator = Rotator(modem, max_attempts=1, cooldown_seconds=30)

    async def scenario() -> list:
        return await asyncio.gather(*(rotator.rotate() for _ in range(5)))

    results = asyncio.run(scenario())
    joined = [r for r in results if r.coalesced]
    assert len(joined) == 4 and all(r.changed for r in joined)
    assert all(0 < r.retry_after_seconds <= 30 for r in joined)


def test_api_reports_cooldown_with_retry_after_header() -> None:
    settings = Settings(backend="simulated", token=TOKEN, cooldown_seconds=60)

    async def scenario() -> tuple:
        async with running(create_app(settings, backend=simulated())) as client:
            idle = (await client.get("/health")).json()
            first = await client.post("/rotate", headers=AUTH)
            second = await client.post("/rotate", headers=AUTH)
            health = (await client.get("/health")).json()
            return idle, first, second, health

    idle, first, second, health = asyncio.run(scenario())
    assert idle["cooldown_remaining_seconds"] == 0
    assert "retry-after" not in first.headers
    assert first.json()["cooldown_remaining_seconds"] > 59
    body = second.json()
    assert second.status_code == 200 and body["coalesced"] and body["changed"] is False
    assert body["new_ip"] == first.json()["new_ip"]  # the fields the fetcher reads are there
    assert {"old_ip", "took_ms", "attempts"} <= set(body)
    assert 59 < body["retry_after_seconds"] <= 60 and second.headers["retry-after"] == "60"
    assert 59 < health["cooldown_remaining_seconds"] <= 60


def test_a_simulated_clock_compresses_the_cooldown() -> None:
    fast = Settings(backend="simulated", cooldown_seconds=60, sim_speed=60)
    assert cooldown_seconds(fast) == 1.0
    real = Settings(backend="mmcli", cooldown_seconds=60, sim_speed=60)
    assert cooldown_seconds(real) == 60.0
