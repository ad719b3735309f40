"""IP changes the carrier makes are logged (source ``carrier``), never confused with a rotation."""

import asyncio
import time

from modem_service import Settings, create_app
from modem_service.ip_history import IpHistory
from modem_service.ip_watch import IpWatch
from modem_service.iplog import IpLog, make_engine
from modem_service.metrics import ServiceMetrics
from modem_service.rotation import Rotator
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _parts(modem, interval: float = 60.0) -> tuple[IpLog, Rotator, IpWatch]:
    iplog = IpLog(make_engine("sqlite+pysqlite:///:memory:"))
    rotator: Rotator | None = None
    history = IpHistory(iplog, ServiceMetrics(), rotating=lambda: rotator.busy)
    rotator = Rotator(
        modem, max_attempts=1, on_ip=history.seen, last_known_ip=lambda: history.current
    )
    return iplog, rotator, IpWatch(modem, rotator, history, interval)


def _sources(iplog: IpLog) -> list[str]:
    return [s.source for s in iplog.sightings()]


def test_check_logs_a_carrier_change_once() -> None:
    modem = simulated()
    iplog, _, watch = _parts(modem)

    async def scenario() -> str:
        await watch.history.seen(modem.egress_ip(), "start")
        assert await watch.check_once() is not None  # same IP: nothing logged
        moved = modem.carrier_change()
        await watch.check_once()
        await watch.check_once()
        return moved

    moved = asyncio.run(scenario())
    assert _sources(iplog) == ["start", "carrier"]
    assert iplog.sightings()[-1].ip == moved


def test_check_waits_for_a_running_rotation_and_logs_nothing_of_it() -> None:
    modem = simulated(rotation_seconds=0.1)
    iplog, rotator, watch = _parts(modem)

    async def scenario() -> None:
        await watch.history.seen(modem.egress_ip(), "start")
        rotation = asyncio.create_task(rotator.rotate())
        await asyncio.sleep(0.01)  # the walk holds the lock, the modem is mid-reconnect
        assert rotator.busy
        seen = await watch.check_once()  # waits for the lock: mid-reconnect there is no IP
        result = await rotation
        assert seen == result.new_ip != result.old_ip  # the check saw the walk's result

    asyncio.run(scenario())
    assert _sources(iplog) == ["start", "rotate"]


def test_ip_read_during_a_rotation_is_not_a_carrier_change() -> None:
    modem = simulated(rotation_seconds=0.1)
    iplog, rotator, watch = _parts(modem)

    async def scenario() -> None:
        await watch.history.seen(modem.egress_ip(), "start")
        rotation = asyncio.create_task(rotator.rotate())
        await asyncio.sleep(0.01)
        await watch.history.checked("209.29.168.254")  # e.g. GET /ip between two steps
        await rotation

    asyncio.run(scenario())
    assert _sources(iplog) == ["start", "rotate"]


def test_service_polls_and_logs_the_simulated_carriers_schedule() -> None:
    settings = Settings(
        backend="simulated",
        token=TOKEN,
        ip_check_seconds=0.05,
        sim_rotation_seconds=0,
        sim_carrier_change_seconds=0.1,
    )
    app = create_app(settings)

    async def scenario() -> list[dict]:
        async with running(app) as client:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                items = (await client.get("/ips", headers=AUTH)).json()["items"]
                if any(i["source"] == "carrier" for i in items):
                    break
                await asyncio.sleep(0.05)
            watch_task = [t for t in asyncio.all_tasks() if t.get_name() == "modem-ip-watch"]
            assert len(watch_task) == 1
        assert watch_task[0].done()  # stopped with the app
        return items

    items = asyncio.run(scenario())
    assert items[0]["source"] == "carrier" and items[-1]["source"] == "start"
    assert items[0]["ip"] != items[-1]["ip"]


def test_zero_interval_turns_the_check_off() -> None:
    settings = Settings(backend="simulated", token=TOKEN, ip_check_seconds=0)

    async def scenario() -> list[str]:
        async with running(create_app(settings, backend=simulated())):
            return [t.get_name() for t in asyncio.all_tasks()]

    assert "modem-ip-watch" not in asyncio.run(scenario())


def test_simulated_carrier_schedule_runs_on_the_modems_clock() -> None:
    clock = FakeClock()
    modem = simulated(carrier_change_seconds=60, speed=10, clock=clock)
    first = modem.egress_ip()
    clock.now += 5.9  # 59 simulated seconds
    assert modem.egress_ip() == first
    clock.now += 0.1
    second = modem.egress_ip()
    assert second != first and modem.carrier_changes == 1
    clock.now += 3
    assert modem.egress_ip() == second  # the next change is due 6 s after the last one


def test_simulated_rotation_time_is_compressed_by_speed() -> None:
    modem = simulated(rotation_seconds=30, speed=300)  # 30 simulated s = 0.1 real s
    started = time.monotonic()
    asyncio.run(modem.step("reconnect"))
    assert 0.09 <= time.monotonic() - started < 1.0
