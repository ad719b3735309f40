"""Declarative automation after profiles land: ``posts`` (not partitioned) loads the queue
whichever way ``raw_profile`` partitions were materialized, and the warehouse follows."""

from __future__ import annotations

import dagster as dg

from intrend_assets.definitions import defs

PROFILES = ["alice", "bob", "carol"]


def _requested(result) -> set[str]:  # type: ignore[no-untyped-def]
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string() for key in graph.get_all_asset_keys() if result.get_num_requested(key)
    }


def test_posts_follow_a_raw_profile_only_materialization() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", PROFILES)
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        # A raw_profile partition materialized alone (from the UI, or a retry).
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="raw_profile", partition="bob")
        )
        second = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=first.cursor
        )
        # posts loads the queue, and the warehouse follows in the same request (eager
        # chains through assets that will be requested in the same tick).
        assert {"posts", "hashtag_counts", "posts_wide", "trend_report"} <= _requested(second)
        assert "raw_profile" not in _requested(second)
