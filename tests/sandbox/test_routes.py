"""The sandbox with several routes: a modem, proxy host and modem service each, on carriers of
their own; one can be unplugged mid-run and the fetch loses no profile."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path

import httpx
import pytest

from intrend_assets.fetching.fetcher import fetch_through_routes
from intrend_assets.fetching.lanes import open_lanes
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.routes import bench_seconds, egress_routes
from intrend_assets.raw_store.store import LocalRawStore
from sandbox.pipeline import sandbox_resources
from tests.sandbox.conftest import PROFILE_PATH

pytestmark = pytest.mark.timeout(120)


def _lookup(world, proxy_url: str) -> httpx.Response:
    with httpx.Client(proxy=proxy_url, trust_env=False, timeout=10) as client:
        return client.get(
            world.instagram_url + PROFILE_PATH, params={"username": world.public_usernames()[0]}
        )


def test_each_route_egresses_from_its_own_modem_on_its_own_carrier(world_factory) -> None:
    world = world_factory(routes=3)
    assert [r.name for r in world.routes] == ["modem-1", "modem-2", "modem-3"]
    assert len({r.proxy_url for r in world.routes}) == 3
    for route in world.routes:
        assert _lookup(world, route.proxy_url).status_code == 200
    ips = world.stats()["ips"]
    egress = [route.modem.egress_ip() for route in world.routes]
    assert all(ips[ip]["ok"] == 1 for ip in egress)
    blocks = {ipaddress.ip_network(f"{ip}/16", strict=False) for ip in egress}
    assert len(blocks) == 3  # a carrier (a /16) per route
    # The modem service's IP log names its route.
    item = httpx.get(
        world.routes[1].modem_url + "/ips",
        headers={"Authorization": f"Bearer {world.modem_token}"},
        trust_env=False,
    ).json()["items"][0]
    assert item["route"] == "modem-2"


def test_one_route_is_still_the_single_modem_of_the_settings(world_factory, tmp_path) -> None:
    world = world_factory()
    assert [r.name for r in world.routes] == [""]
    assert "routes" not in world.addresses()
    settings, resources = sandbox_resources(world.intrend_env(tmp_path))
    assert [r.name for r in egress_routes(resources["modem"])] == ["modem"]
    assert settings.routes == []


def test_unplugging_a_route_over_the_admin_switch(world_factory) -> None:
    world = world_factory(routes=2)
    admin = world.instagram_url + "/_sandbox/routes"
    assert httpx.post(f"{admin}/modem-2", params={"down": "true"}).json()["down"] is True
    assert _lookup(world, world.routes[1].proxy_url).status_code == 503
    assert _lookup(world, world.routes[0].proxy_url).status_code == 200
    assert httpx.get(admin).json()["modem-2"] == {"down": True, "ip": None}
    assert httpx.post(f"{admin}/nowhere", params={"down": "true"}).status_code == 404
    world.reset_faults()
    assert _lookup(world, world.routes[1].proxy_url).status_code == 200


def test_a_route_killed_mid_run_loses_no_profile(world_factory, tmp_path: Path) -> None:
    """Two routes, the same budget per IP; modem-2 unplugged after 20 profiles: every
    profile is stored, the rest through modem-1, and modem-2 was benched once."""
    world = world_factory(
        routes=2, budget=10, rotation_seconds=3.0, speed=20.0, private_share=0.0, profiles=80
    )
    env = world.intrend_env(tmp_path)
    assert [r["name"] for r in json.loads(env["INTREND_ROUTES"])] == ["modem-1", "modem-2"]
    settings, resources = sandbox_resources(env, first_fetch_days=0, modem_timeout=20.0)
    names = world.public_usernames()[:60]

    def progress(done: int, total: int, report: FetchReport) -> None:
        if done == 20:
            world.routes[1].modem.down = True

    async def go() -> FetchReport:
        instagram, modem = resources["instagram"], resources["modem"]
        store = LocalRawStore(settings.resolved_raw_dir())
        async with open_lanes(instagram, egress_routes(modem), bench_seconds(modem)) as lanes:
            return await fetch_through_routes(
                names, lanes, store, instagram.policy, on_progress=progress
            )

    report = asyncio.run(asyncio.wait_for(go(), 90))
    assert report.stored == len(names)
    assert report.routes["modem-2"]["benched"] == 1
    assert report.routes["modem-1"]["profiles"] > report.routes["modem-2"]["profiles"]
    assert {row["route"] for row in report.log} == {"modem-1", "modem-2"}
