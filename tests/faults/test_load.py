"""Load, bounded and on loopback: concurrent rotations coalesce, /ip holds 500 at once, and
the fetch layer never holds more proxy connections than its limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.raw_store.store import LocalRawStore
from modem_service import Settings, create_app
from modem_service.backends.simulated import SimulatedModem
from modem_service.settings import parse_weighted_ranges
from sandbox.servers import ServerThread
from sandbox.world import SandboxConfig, start_sandbox
from tests import defaults

pytestmark = pytest.mark.timeout(180)
TOKEN = "load-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _service(rotation_seconds: float, cooldown: float) -> tuple[ServerThread, SimulatedModem]:
    modem = SimulatedModem(
        parse_weighted_ranges("209.29.168.0/24=1"),
        rotation_seconds=rotation_seconds,
        unchanged_probability=0.0,
    )
    settings = Settings(backend="simulated", token=TOKEN, cooldown_seconds=cooldown)
    server = ServerThread(create_app(settings, backend=modem), "modem-load", lifespan="on")
    server.start()
    return server, modem


async def _burst(method: str, url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        return await asyncio.gather(
            *(client.request(method, url, headers=AUTH) for _ in range(count))
        )


def test_200_concurrent_rotations_cause_one_backend_rotation() -> None:
    server, modem = _service(rotation_seconds=0.5, cooldown=30.0)
    try:
        answers = asyncio.run(_burst("POST", f"{server.url}/rotate", 200))
    finally:
        server.stop()
    assert [r.status_code for r in answers] == [200] * 200
    assert modem.steps_run == ["reconnect"]  # one walk of the ladder, one step
    new_ips = {r.json()["new_ip"] for r in answers}
    assert len(new_ips) == 1 and None not in new_ips


def test_500_concurrent_ip_requests_all_answered() -> None:
    server, _ = _service(rotation_seconds=0.0, cooldown=0.0)
    try:
        answers = asyncio.run(_burst("GET", f"{server.url}/ip", 500))
    finally:
        server.stop()
    assert [r.status_code for r in answers] == [200] * 500
    assert len({r.json()["ip"] for r in answers}) == 1


@pytest.mark.slow
def test_the_fetch_layer_never_exceeds_its_connection_limit(tmp_path: Path) -> None:
    limit = 4
    config = SandboxConfig(profiles=60, seed=3, budget=25, speed=1e-6, rotation_seconds=2e-7)
    with start_sandbox(config) as world:
        world.faults.set(slow=40, slow_delay=0.2)  # answers overlap: the pool fills up

        async def go() -> int:
            client = InstagramClient(
                defaults.client_config(world.instagram_url, world.proxy_url, max_connections=limit)
            )
            modem = ModemClient(world.modem_url, world.modem_token)
            try:
                gate = RotationGate(
                    modem.rotate, current_ip=await modem.current_ip(), backoff_seconds=0.01
                )
                report = await fetch_profiles(
                    world.usernames()[:60],
                    BoundStrategies.from_clients(
                        client, ["web_profile_info"], ["graphql_query_hash"]
                    ),
                    gate,
                    LocalRawStore(tmp_path),
                    defaults.policy(concurrency=16, max_posts=24),
                )
            finally:
                await client.aclose()
                await modem.aclose()
            return report.stored

        stored = asyncio.run(go())
        peak = world.peak_proxy_connections
    assert stored == 60
    assert 1 <= peak <= limit, f"the proxy saw {peak} connections at once; limit {limit}"
