"""POST /rotate: coalescing, cooldown, retry and escalation, failing steps, offline modem."""

import asyncio

from modem_service import Settings, create_app
from modem_service.rotation import Rotator, rotation_plan
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


def _settings(**overrides: object) -> Settings:
    return Settings(backend="simulated", token=TOKEN, **overrides)  # type: ignore[arg-type]


def test_plan_retries_weakest_then_climbs() -> None:
    assert rotation_plan(("reconnect", "reset", "power_cycle"), 2) == [
        "reconnect",
        "reconnect",
        "reset",
        "power_cycle",
    ]


def test_concurrent_rotations_coalesce_into_one() -> None:
    modem = simulated(rotation_seconds=0.2)

    async def scenario() -> list[dict]:
        async with running(create_app(_settings(), backend=modem)) as client:
            responses = await asyncio.gather(
                *(client.post("/rotate", headers=AUTH) for _ in range(50))
            )
            return [r.json() for r in responses]

    results = asyncio.run(scenario())
    assert modem.steps_run == ["reconnect"]  # exactly one backend rotation
    assert len({(r["old_ip"], r["new_ip"]) for r in results}) == 1
    assert sum(not r["coalesced"] for r in results) == 1
    assert all(r["changed"] and r["attempts"] == 1 for r in results)


def test_cooldown_answers_with_last_result() -> None:
    modem = simulated()

    async def scenario() -> tuple[dict, dict]:
        app = create_app(_settings(cooldown_seconds=60), backend=modem)
        async with running(app) as client:
            first = (await client.post("/rotate", headers=AUTH)).json()
            second = (await client.post("/rotate", headers=AUTH)).json()
            return first, second

    first, second = asyncio.run(scenario())
    assert modem.steps_run == ["reconnect"]
    assert second["coalesced"] and not first["coalesced"]
    assert second["new_ip"] == first["new_ip"]


def test_no_cooldown_rotates_each_time() -> None:
    modem = simulated()

    async def scenario() -> None:
        async with running(create_app(_settings(), backend=modem)) as client:
            for _ in range(3):
                assert (await client.post("/rotate", headers=AUTH)).json()["changed"]

    asyncio.run(scenario())
    assert modem.steps_run == ["reconnect"] * 3


def test_unchanged_ip_retries_then_escalates() -> None:
    modem = simulated()
    modem.stuck_rotations = 3  # three reconnects keep the IP; the reset moves it

    async def scenario() -> dict:
        async with running(create_app(_settings(max_attempts=3), backend=modem)) as client:
            return (await client.post("/rotate", headers=AUTH)).json()

    result = asyncio.run(scenario())
    assert result["steps"] == ["reconnect", "reconnect", "reconnect", "reset"]
    assert result["attempts"] == 4 and result["escalated"] and result["changed"]
    assert result["changed_by"] == "reset"


def test_stuck_after_whole_ladder_reports_what_was_tried() -> None:
    modem = simulated()
    modem.stuck_rotations = 10

    async def scenario() -> tuple[dict, str]:
        async with running(create_app(_settings(max_attempts=2), backend=modem)) as client:
            result = (await client.post("/rotate", headers=AUTH)).json()
            metrics = (await client.get("/metrics", headers=AUTH)).text
            return result, metrics

    result, metrics = asyncio.run(scenario())
    assert result["changed"] is False and result["old_ip"] == result["new_ip"]
    assert result["steps"] == ["reconnect", "reconnect", "reset"] and result["escalated"]
    assert 'modem_rotations_total{result="unchanged"} 1.0' in metrics
    assert "modem_unchanged_rotations_total 1.0" in metrics


def test_failing_step_is_reported_and_the_ladder_goes_on() -> None:
    modem = simulated()
    modem.failing_steps = 1

    async def scenario() -> dict:
        async with running(create_app(_settings(), backend=modem)) as client:
            return (await client.post("/rotate", headers=AUTH)).json()

    result = asyncio.run(scenario())
    assert result["changed"] and result["attempts"] == 2
    assert result["errors"] == ["reconnect: simulated reconnect failed"]


def test_unplugged_modem_fails_with_503() -> None:
    modem = simulated()

    async def scenario() -> tuple[int, dict, int, dict]:
        async with running(create_app(_settings(), backend=modem)) as client:
            modem.down = True
            rotate = await client.post("/rotate", headers=AUTH)
            ip = await client.get("/ip", headers=AUTH)
            health = (await client.get("/health")).json()
            return rotate.status_code, rotate.json(), ip.status_code, health

    status, body, ip_status, health = asyncio.run(scenario())
    assert status == 503 and body["new_ip"] is None and not body["changed"]
    assert len(body["errors"]) == len(body["steps"]) == 4
    assert ip_status == 503
    assert health["present"] is False


def test_rotator_single_lock_even_without_coalescing() -> None:
    """Two walks never interleave on the modem, even when called past the coalescer."""
    modem = simulated(rotation_seconds=0.05)
    running_steps, most = 0, 0
    step = modem.step

    async def counting_step(name: str) -> None:
        nonlocal running_steps, most
        running_steps += 1
        most = max(most, running_steps)
        try:
            await step(name)
        finally:
            running_steps -= 1

    modem.step = counting_step  # type: ignore[method-assign]
    rotator = Rotator(modem, max_attempts=1)

    async def scenario() -> None:
        await asyncio.gather(rotator._rotate_locked(), rotator._rotate_locked())

    asyncio.run(scenario())
    assert modem.steps_run == ["reconnect", "reconnect"]
    assert most == 1


def test_offline_rotation_starts_no_cooldown() -> None:
    modem = simulated()

    async def scenario() -> tuple[int, dict]:
        async with running(create_app(_settings(cooldown_seconds=60), backend=modem)) as client:
            modem.down = True
            offline = await client.post("/rotate", headers=AUTH)
            modem.down = False  # plugged back in
            return offline.status_code, (await client.post("/rotate", headers=AUTH)).json()

    status, retried = asyncio.run(scenario())
    assert status == 503
    assert retried["changed"] and not retried["coalesced"]
