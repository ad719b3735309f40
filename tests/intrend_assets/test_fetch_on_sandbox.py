"""The fetch layer against the real sandbox: proxy host, modem service, per-IP limits."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.raw_store.store import LocalRawStore
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox
from tests import defaults

pytestmark = pytest.mark.slow


def _fetch(world: SandboxWorld, names: list[str], root: Path, policy: FetchPolicy) -> FetchReport:
    async def go() -> FetchReport:
        client = InstagramClient(
            defaults.client_config(
                world.instagram_url,
                proxy_url=world.proxy_url,
                max_connections=policy.concurrency,
            )
        )
        modem = ModemClient(world.modem_url, world.modem_token)
        try:
            gate = RotationGate(
                modem.rotate, current_ip=await modem.current_ip(), backoff_seconds=0.01
            )
            return await fetch_profiles(
                names,
                BoundStrategies.from_clients(client, ["web_profile_info"], ["graphql_query_hash"]),
                gate,
                LocalRawStore(root),
                policy,
            )
        finally:
            await client.aclose()
            await modem.aclose()

    return asyncio.run(go())


def test_rate_limits_rotate_and_the_log_agrees_with_the_sandbox(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=120, seed=5, budget=25, speed=100.0, rotation_seconds=2.0)
    with start_sandbox(config) as world:
        names = world.usernames()[:100] + world.unknown_usernames()[:2] + ["a b", "../etc"]
        world.modem.stuck_rotations = 5  # the first rotation keeps its IP: retried
        report = _fetch(world, names, tmp_path, defaults.policy(concurrency=6))
        seen = world.stats()
        peak = world.peak_proxy_connections

    assert set(report.outcomes) == {n.lower() for n in names if " " not in n} | {"a b"}
    assert report.count("not_found") == 2 and report.count("invalid") == 2
    assert report.stored == 100
    assert report.rotations >= 4 and report.unchanged_rotations >= 1
    assert 0 < report.rotation_seconds < report.seconds  # the time the modem held us up
    # Every request the sandbox saw is in the log, with the same status.
    logged = Counter(str(e["status"]) for e in report.log if e["status"] is not None)
    answered = seen["total"]
    assert logged["200"] == answered["ok"]
    assert logged["401"] == answered["401"] and logged["429"] == answered["429"]
    assert logged["404"] == answered["404"]
    # Every IP the log names was the modem's, and it never used more connections than allowed.
    assert {e["egress_ip"] for e in report.log} <= set(seen["ips"])
    assert peak <= 6


def test_pagination_then_fast_update_stops_at_a_known_post(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=20, seed=9, budget=1000, speed=1.0)
    policy = defaults.policy(concurrency=4, max_posts=48)
    with start_sandbox(config) as world:
        names = world.public_usernames()[:8]
        first = _fetch(world, names, tmp_path, policy)
        store = LocalRawStore(tmp_path)
        for name in names:
            latest = store.latest(name)
            assert latest is not None
            assert store.read_mark(name) is not None
        pages_first = sum(o.pages for o in first.outcomes.values())
        # A week later: a few new posts each; the second pass pages only to the known ones.
        httpx.post(f"{world.instagram_url}/_sandbox/advance", params={"seconds": 7 * 86400})
        second = _fetch(world, names, tmp_path, policy)
    pages_second = sum(o.pages for o in second.outcomes.values())
    assert pages_first >= len(names)  # 48 posts need pages beyond the first 12
    assert pages_second < pages_first
    assert all(o.complete for o in second.outcomes.values())
    timeline_requests = [e for e in second.log if e["kind"] == "page"]
    assert len(timeline_requests) == pages_second
