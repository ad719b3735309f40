import asyncio

from intrend_assets.fetching.modem_client import ModemUnavailable, Rotation
from intrend_assets.fetching.rotation import RotationGate


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


class FakeModem:
    def __init__(self, script: list[object]) -> None:
        self.script = list(script)
        self.calls = 0
        self.ip = "209.29.168.1"

    async def rotate(self) -> Rotation:
        self.calls += 1
        await asyncio.sleep(0.01)
        step = self.script.pop(0) if self.script else "new"
        if step == "down":
            raise ModemUnavailable("connection refused")
        old = self.ip
        if step == "new":
            self.ip = f"209.29.168.{self.calls + 1}"
        return Rotation(old, self.ip, self.ip != old, 10, 1)


def test_fifty_concurrent_rate_limits_cause_one_rotation() -> None:
    async def scenario() -> tuple[int, int]:
        modem = FakeModem([])
        gate = RotationGate(modem.rotate, current_ip=modem.ip, sleep=_no_sleep)
        generation = await gate.wait_open()
        await asyncio.gather(*(gate.rotate(generation) for _ in range(50)))
        return modem.calls, gate.generation

    calls, generation = asyncio.run(scenario())
    assert calls == 1
    assert generation == 1


def test_unchanged_ip_is_rotated_again() -> None:
    async def scenario() -> tuple[bool, int, int]:
        modem = FakeModem(["same", "same", "new"])
        gate = RotationGate(modem.rotate, current_ip=modem.ip, sleep=_no_sleep)
        changed = await gate.rotate(0)
        return changed, modem.calls, gate.stats.unchanged

    assert asyncio.run(scenario()) == (True, 3, 2)


def test_modem_down_backs_off_then_succeeds() -> None:
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def scenario() -> tuple[bool, str | None]:
        modem = FakeModem(["down", "down", "new"])
        gate = RotationGate(
            modem.rotate, current_ip=modem.ip, sleep=record_sleep, backoff_seconds=1.0
        )
        return await gate.rotate(0), gate.current_ip

    changed, ip = asyncio.run(scenario())
    assert changed and ip == "209.29.168.4"
    assert len(slept) == 2 and slept[1] > slept[0] * 0.6  # exponential, jittered


def test_gives_up_after_max_attempts_but_reopens() -> None:
    async def scenario() -> tuple[bool, bool]:
        modem = FakeModem(["down"] * 10)
        gate = RotationGate(modem.rotate, max_attempts=3, sleep=_no_sleep)
        changed = await gate.rotate(0)
        opened = await asyncio.wait_for(gate.wait_open(), 1) == 1
        return changed, opened

    assert asyncio.run(scenario()) == (False, True)


def test_only_an_ip_new_to_the_run_starts_a_fresh_generation() -> None:
    ips = iter(["10.0.0.2", "10.0.0.3", "10.0.0.2"])  # the carrier hands back an old IP

    async def rotate() -> Rotation:
        return Rotation(None, next(ips), True, 1, 1)

    async def scenario() -> set[int]:
        gate = RotationGate(rotate, current_ip="10.0.0.1", sleep=_no_sleep)
        for generation in range(3):
            await gate.rotate(generation)
        return gate.fresh

    assert asyncio.run(scenario()) == {1, 2}
