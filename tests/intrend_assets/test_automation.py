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
        assert {"posts", "hashtag_daily", "posts_wide", "trend_report"} <= _requested(second)
        assert "raw_profile" not in _requested(second)


DOWNSTREAM = {"hashtag_daily", "posts_wide", "trend_report"}


def _materialize(instance: dg.DagsterInstance, *assets: str) -> None:
    for asset in assets:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset))


def _tick(instance: dg.DagsterInstance, cursor):  # type: ignore[no-untyped-def]
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    return _requested(result), result.cursor


def test_posts_loaded_after_the_warehouse_refreshed_are_not_lost() -> None:
    """Between two ticks, the warehouse run the first tick asked for finishes, then a fetch
    run loads more posts. Dagster's ``eager`` counts the warehouse's own update as having
    handled the posts update (it cannot order them: its trigger carries no times), so those
    posts stayed out of the warehouse until posts changed again."""
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", PROFILES)
        _, cursor = _tick(instance, None)
        _materialize(instance, "posts")
        requested, cursor = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
        _materialize(instance, *sorted(DOWNSTREAM))  # the requested warehouse run ...
        _materialize(instance, "posts")  # ... and then the next fetch run's posts
        requested, cursor = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
        # Once that is done, nothing more.
        _materialize(instance, *sorted(DOWNSTREAM))
        requested, _ = _tick(instance, cursor)
        assert not requested & DOWNSTREAM


def test_posts_loaded_before_the_warehouse_refreshed_ask_for_nothing_more() -> None:
    """The same two updates the other way round: the warehouse run read those posts."""
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", PROFILES)
        _, cursor = _tick(instance, None)
        _materialize(instance, "posts")
        requested, cursor = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
        _materialize(instance, "posts")
        _materialize(instance, *sorted(DOWNSTREAM))
        requested, _ = _tick(instance, cursor)
        assert not requested & DOWNSTREAM


def test_a_run_that_fetched_and_loaded_asks_only_for_the_warehouse() -> None:
    """profiles_job materializes raw_profile then posts: posts is not asked for again."""
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", PROFILES)
        _, cursor = _tick(instance, None)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="raw_profile", partition="alice")
        )
        _materialize(instance, "posts")
        requested, _ = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
        assert "posts" not in requested


def test_a_requested_run_that_never_lands_is_not_asked_for_on_every_tick() -> None:
    """A failed warehouse run waits for the next upstream change (or the daily rebuild)
    rather than being retried on every tick."""
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", PROFILES)
        _, cursor = _tick(instance, None)
        _materialize(instance, "posts")
        requested, cursor = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
        for _ in range(2):  # the run failed: nothing was materialized
            requested, cursor = _tick(instance, cursor)
            assert not requested & DOWNSTREAM
        _materialize(instance, "posts")
        requested, _ = _tick(instance, cursor)
        assert requested >= DOWNSTREAM
