"""End to end on the sandbox: fetch through the proxy with rotations, parse, load, find trends."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.definitions import ASSETS
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS, WAREHOUSE_CHECKS
from intrend_assets.hashtags import normalize_hashtag
from intrend_assets.raw_store.store import LocalRawStore, decompress
from sandbox.pipeline import sandbox_resources
from sandbox.world import SandboxConfig, start_sandbox
from warehouse.db import connect
from warehouse.queries import run_query

pytestmark = pytest.mark.slow

PROFILES = 150


def _range_tags(keys: list[str]) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
    }


def test_materialize_lands_every_post_once_and_finds_the_planted_trends(tmp_path: Path) -> None:
    # speed 30: the 600 s window lasts 20 real seconds, so the budget, not the clock, ends
    # each IP's stint even on a loaded machine.
    config = SandboxConfig(profiles=PROFILES, seed=11, budget=40, speed=30.0)
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        usernames = list(world.usernames())[:PROFILES] + list(world.unknown_usernames())[:2]
        instance.add_dynamic_partitions("profiles", usernames)
        _, resources = sandbox_resources(
            world.intrend_env(tmp_path),
            max_posts=24,  # one timeline page past the profile answer's 12 posts
        )
        fetched = dg.materialize(
            ASSETS,
            selection=["raw_profile", "posts"],
            resources=resources,
            instance=instance,
            tags=_range_tags(usernames),
        )
        assert fetched.success
        built = dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=["hashtag_daily", "posts_wide", "trend_report", "fetch_log", "ip_log"],
            resources=resources,
            instance=instance,
        )
        assert built.success
        evaluations = built.get_asset_check_evaluations()
        assert len(evaluations) == len(WAREHOUSE_CHECKS)
        assert all(e.passed for e in evaluations), [e for e in evaluations if not e.passed]
        planted = {normalize_hashtag(t) for t in world.planted_trends()}
        sandbox_stats = world.stats()

    store = LocalRawStore(tmp_path / "raw")
    # Every profile ended stored or recorded as failed with a reason: none lost.
    stored = set(store.usernames())
    failed = {f["username"]: f for f in store.failures()}
    assert stored | set(failed) == set(usernames)
    assert all(failed[name]["outcome"] == "not_found" for name in failed)
    assert set(world.unknown_usernames()[:2]) <= set(failed)

    # The posts the raw answers hold, counted without the project's parser.
    expected_posts = set()
    pages = 0
    for name in stored:
        latest = store.latest(name)
        assert latest is not None
        for key in [latest.key, *store.pages(latest)]:
            body = json.loads(decompress(store.read(key)))
            media = body["data"]["user"]["edge_owner_to_timeline_media"]
            expected_posts |= {edge["node"]["id"] for edge in media["edges"]}
        pages += len(store.pages(latest))
    assert pages > PROFILES // 2  # most public profiles have more than 12 posts

    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        rows = con.execute("select post_id from posts_wide").fetchall()
        ids = [r[0] for r in rows]
        assert len(ids) == len(set(ids)), "duplicate posts in posts_wide"
        assert set(ids) == expected_posts
        rising = run_query(con, "rising_hashtags", limit=10).to_dicts()
        ips = con.execute("select count(distinct ip) from ip_log").fetchone()[0]
        requests = con.execute("select count(*) from fetch_log").fetchone()[0]
    finally:
        con.close()

    assert (tmp_path / "trend_report.png").read_bytes().startswith(b"\x89PNG")
    top = [normalize_hashtag(str(r.get("tag_norm") or r.get("tag"))) for r in rising]
    assert planted <= set(top[: max(5, len(planted))]), (planted, top)
    # The budget forced rotations: more than one public IP served the run.
    assert ips >= PROFILES // 40
    assert requests >= PROFILES
    assert sandbox_stats
