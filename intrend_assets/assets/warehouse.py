"""Warehouse-wide tables rebuilt from the normalized ones: hashtag counts and ``posts_wide``."""

import dagster as dg

from intrend_assets.automation import follow_upstream
from intrend_assets.resources import WarehouseResource
from warehouse.load import rebuild_posts_wide, refresh_hashtag_daily


@dg.asset(
    deps=["posts"],
    group_name="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
)
def hashtag_counts(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Hashtag x day counts (tags normalised: NFC + casefold), the basis of every trend query."""
    with warehouse.connect() as con:
        rows = refresh_hashtag_daily(con)
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(
    deps=["posts", "hashtag_counts"],
    group_name="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
)
def posts_wide(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The denormalized table analysts query: post + profile + hashtags + latest metrics.

    Torn down and rebuilt from the normalized tables, which is cheaper to trust than patching.
    """
    with warehouse.connect() as con:
        rows = rebuild_posts_wide(con)
    return dg.MaterializeResult(metadata={"rows": rows, "dagster/row_count": rows})
