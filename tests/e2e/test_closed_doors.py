"""Issue 8 end to end: with web_profile_info closed for half the profiles, a Dagster run still
stores every public profile, the fetch stats say which strategy served how many, and the
warehouse's strategy_health view and doors check show the door closing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import httpx
import pytest

from intrend_assets.definitions import ASSETS
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS
from sandbox.pipeline import sandbox_resources
from sandbox.world import SandboxConfig, start_sandbox
from warehouse.db import connect

pytestmark = pytest.mark.slow


def test_half_walled_run_stores_everyone_and_the_warehouse_shows_which_way(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(profiles=60, seed=12, budget=1000, speed=1.0)
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        usernames = list(world.usernames())[:60]
        public = set(world.public_usernames()) & set(usernames)
        private = set(world.private_usernames()) & set(usernames)
        instance.add_dynamic_partitions("profiles", usernames)
        switch = httpx.post(
            f"{world.instagram_url}/_sandbox/faults",
            json={"login_wall": {"web_profile_info": 0.5}},
        )
        assert switch.status_code == 200
        _, resources = sandbox_resources(
            world.intrend_env(tmp_path),
            profile_strategies=["web_profile_info", "graphql_doc_id"],
        )
        fetched = dg.materialize(
            ASSETS,
            selection=["raw_profile", "posts"],
            resources=resources,
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": usernames[0],
                "dagster/asset_partition_range_end": usernames[-1],
            },
        )
        assert fetched.success
        stats = dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=["fetch_log", "fetch_stats"],
            resources=resources,
            instance=instance,
        )
        assert stats.success

    raw = fetched.asset_materializations_for_node("raw_profile")[0].metadata
    served = raw["served_by_strategy"].value
    assert raw["failed"].value == len(usernames) - len(public) - len(private)
    assert sum(served.values()) == len(public) + len(private)
    assert served["graphql_doc_id"] >= 10 and served["web_profile_info"] >= 10

    fetch_stats = stats.asset_materializations_for_node("fetch_stats")[0].metadata
    assert fetch_stats["served_latest_day/profile/graphql_doc_id"].value == served["graphql_doc_id"]

    with connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT strategy, served, login_wall FROM strategy_health WHERE kind = 'profile'"
        ).fetchall()
        posts_owners = con.execute("SELECT count(DISTINCT owner_username) FROM posts").fetchone()
    health = {strategy: (s, walls) for strategy, s, walls in rows}
    assert health["graphql_doc_id"] == (served["graphql_doc_id"], 0)
    assert health["web_profile_info"][1] == served["graphql_doc_id"]  # each walled profile
    assert posts_owners is not None and posts_owners[0] >= len(public) - 1
