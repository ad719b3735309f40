"""Field mode, the modem's share: cooldown, slow rotations, carrier-initiated IP changes,
and the switch that turns every field behaviour on."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import httpx

from sandbox.__main__ import build_parser
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.field import FIELD_PRESET
from sandbox.world import build_modem
from tests.sandbox.modem_calls import rotate

from .conftest import ANCHOR, PROFILE_PATH


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_modem_cooldown_answers_the_last_result_coalesced(world_factory) -> None:
    # 60 sandbox seconds at speed 1: the second call is well within the cooldown.
    world = world_factory(modem_cooldown_seconds=60.0, unchanged_probability=0.0)
    first = rotate(world)
    second = rotate(world)
    assert first["changed"] and not first["coalesced"]
    assert second["coalesced"] and second["new_ip"] == first["new_ip"]
    assert world.modem.steps_run == ["reconnect"]  # the modem was not touched again


def test_without_cooldown_every_call_rotates(world_factory) -> None:
    world = world_factory(unchanged_probability=0.0)
    assert not rotate(world)["coalesced"] and not rotate(world)["coalesced"]
    assert len(world.modem.steps_run) == 2


def test_rotations_take_seconds_to_a_minute_of_sandbox_time() -> None:
    modem = build_modem(SandboxConfig(rotation_seconds=2.0, rotation_max_seconds=60.0, speed=600.0))
    durations = [modem.rotation_seconds_for(n) for n in range(200)]
    assert all(2.0 <= d <= 60.0 for d in durations)
    assert min(durations) < 8.0 and max(durations) > 50.0
    assert durations == [modem.rotation_seconds_for(n) for n in range(200)]  # reproducible
    # Without rotation_max_seconds every reconnect takes rotation_seconds, as before.
    plain = build_modem(SandboxConfig(rotation_seconds=2.0, speed=600.0))
    assert {plain.rotation_seconds_for(n) for n in range(20)} == {2.0}


def test_slow_rotation_keeps_the_proxy_offline_for_its_duration() -> None:
    modem = build_modem(
        SandboxConfig(rotation_seconds=30.0, rotation_max_seconds=60.0, speed=300.0)
    )
    expected = modem.rotation_seconds_for(0) / 300.0  # real seconds: 0.1 to 0.2

    async def rotate_and_watch() -> tuple[float, str | None]:
        started = time.monotonic()
        task = asyncio.create_task(modem.step("reconnect"))
        await asyncio.sleep(expected / 2)
        during = modem.egress_ip()
        await task
        return time.monotonic() - started, during

    took, during = asyncio.run(rotate_and_watch())
    assert during is None  # the proxy answers 503 meanwhile
    assert took >= expected * 0.95
    assert modem.rotation_durations == [modem.rotation_seconds_for(0)]


def test_the_carrier_changes_the_ip_by_itself() -> None:
    tick = FakeMonotonic()
    clock = SandboxClock(ANCHOR.timestamp(), 1.0, monotonic=tick)
    modem = build_modem(SandboxConfig(carrier_change_seconds=100.0, seed=3), clock)
    first = modem.egress_ip()
    tick.t = 49.0  # the first change comes between 0.5x and 1.5x the interval
    assert modem.egress_ip() == first and not modem.carrier_changes
    tick.t = 1000.0
    last = modem.egress_ip()
    changes = modem.carrier_changes
    assert 6 <= len(changes) <= 20
    assert all(c.old_ip != c.new_ip for c in changes)
    assert changes[0].old_ip == first and changes[-1].new_ip == last
    gaps = [b.at - a.at for a, b in pairwise(changes)]
    assert all(50.0 <= g <= 150.0 for g in gaps)
    # Off by default: the IP only moves when someone rotates.
    still = build_modem(SandboxConfig(seed=3), clock)
    ip = still.egress_ip()
    tick.t = 100_000.0
    assert still.egress_ip() == ip and not still.carrier_changes


def test_the_proxy_egress_follows_a_carrier_change(world_factory) -> None:
    world = world_factory(carrier_change_seconds=100.0)
    name = world.public_usernames()[0]
    proxy = httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10)
    before = world.modem.egress_ip()
    assert proxy.get(world.instagram_url + PROFILE_PATH, params={"username": name}).is_success
    world.clock.advance(400.0)
    assert proxy.get(world.instagram_url + PROFILE_PATH, params={"username": name}).is_success
    after = world.modem.egress_ip()
    assert after != before and world.field_stats()["carrier_changes"] >= 2
    assert set(world.stats()["ips"]) == {before, after}
    # The modem service's /ip sees the same IP.
    auth = {"Authorization": f"Bearer {world.modem_token}"}
    assert httpx.get(world.modem_url + "/ip", headers=auth, trust_env=False).json()["ip"] == after


def test_field_turns_on_every_behaviour_and_keeps_explicit_values() -> None:
    cfg = SandboxConfig(field=True, burst_limit=3)
    for name, value in FIELD_PRESET.items():
        if name != "burst_limit":
            assert getattr(cfg, name) == value, name
    assert cfg.burst_limit == 3
    friendly = SandboxConfig()
    assert all(getattr(friendly, n) != v for n, v in FIELD_PRESET.items() if n != "hashtag_cap")


def test_field_is_a_command_line_option() -> None:
    args = build_parser().parse_args(["--field", "--graphql-budget", "7"])
    values = {name: getattr(args, name) for name in SandboxConfig.model_fields}
    values["session_ids"] = tuple(values["session_ids"])
    cfg = SandboxConfig(**values)  # as sandbox.__main__.main builds it
    assert cfg.field and cfg.graphql_budget == 7
    assert cfg.modem_cooldown_seconds == 60.0 and cfg.page_shape == "xig_user_by_username"
