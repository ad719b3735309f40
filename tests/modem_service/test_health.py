"""``/health`` tells the modem's real state: 503 when there is no modem, a metric says so."""

import asyncio

import httpx

from modem_service import Settings, create_app
from modem_service.backends.base import BackendState
from modem_service.backends.simulated import SimulatedModem
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


def _settings(**overrides: object) -> Settings:
    return Settings(backend="simulated", token=TOKEN, ip_check_seconds=0, **overrides)  # type: ignore[arg-type]


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the scrape")


class UnreachableModem:
    """A driver whose every call fails, like ModemManager gone from the bus."""

    name = "mmcli"
    ladder = ("reconnect",)

    async def step(self, name: str) -> None:
        raise RuntimeError("no bus")

    async def public_ip(self) -> str | None:
        raise RuntimeError("no bus")

    async def state(self) -> BackendState:
        raise RuntimeError("no bus")

    async def aclose(self) -> None:
        return None


def _health_and_scrape(
    modem: SimulatedModem, *, unplug: bool = False
) -> tuple[httpx.Response, str]:
    """``/health`` and a scrape of ``/metrics``, after unplugging the modem if asked."""

    async def scenario() -> tuple[httpx.Response, str]:
        async with running(create_app(_settings(), backend=modem)) as client:
            modem.down = unplug
            health = await client.get("/health")
            scrape = (await client.get("/metrics", headers=AUTH)).text
            return health, scrape

    return asyncio.run(scenario())


def test_a_connected_modem_with_a_known_ip_is_ok() -> None:
    health, scrape = _health_and_scrape(simulated())
    body = health.json()
    assert health.status_code == 200 and body["status"] == "ok"
    assert body["reachable"] is True and body["present"] is True and body["connected"] is True
    assert body["ip_known"] is True and body["problems"] == []
    assert "209.29." not in health.text  # the open endpoint does not give the IP away
    assert _metric(scrape, "modem_present") == 1 and _metric(scrape, "modem_connected") == 1


def test_an_absent_modem_fails_with_503_and_the_metric_says_so() -> None:
    health, scrape = _health_and_scrape(simulated(), unplug=True)
    body = health.json()
    assert health.status_code == 503 and body["status"] == "down"
    assert body["present"] is False and "modem not present" in body["problems"]
    assert _metric(scrape, "modem_present") == 0 and _metric(scrape, "modem_connected") == 0


def test_an_unreachable_backend_fails_with_503() -> None:
    async def scenario() -> httpx.Response:
        app = create_app(_settings(), backend=UnreachableModem())  # type: ignore[arg-type]
        async with running(app) as client:
            return await client.get("/health")

    health = asyncio.run(scenario())
    body = health.json()
    assert health.status_code == 503 and body["status"] == "down"
    assert body["reachable"] is False and body["ip_known"] is False
    assert body["detail"] == {"error": "RuntimeError"}
    assert "backend unreachable" in body["problems"]


def test_a_modem_without_a_known_ip_is_degraded() -> None:
    modem = simulated()
    modem.down = True  # no IP at start

    async def scenario() -> httpx.Response:
        async with running(create_app(_settings(), backend=modem)) as client:
            modem.down = False
            return await client.get("/health")

    health = asyncio.run(scenario())
    body = health.json()
    assert health.status_code == 200 and body["status"] == "degraded"
    assert body["ip_known"] is False and body["problems"] == ["no public IP known yet"]
