"""The code location loads, and its lists of assets are what the team expects.

A snapshot of names: an accidental removal shows up in review as a failing test.
"""

import dagster as dg

from intrend_assets.definitions import defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_snapshot() -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "raw_profile",
        "posts",
        "hashtag_counts",
        "posts_wide",
        "fetch_log",
        "ip_log",
    }


def test_profile_assets_are_partitioned_by_profile() -> None:
    graph = defs.resolve_asset_graph()
    for name in ("raw_profile", "posts"):
        partitions = graph.get(dg.AssetKey(name)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        assert partitions.name == "profiles"
