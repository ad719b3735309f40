"""Warehouse-wide tables rebuilt from the normalized ones: hashtag counts and ``posts_wide``."""

import dagster as dg

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from intrend_assets.lib.metadata import table_metadata
from intrend_assets.lib.redacted_logs import redacted_step
from warehouse.load import (
    rebuild_hashtag_daily,
    rebuild_posts_wide,
    refresh_hashtag_daily,
    refresh_posts_wide,
)


class HashtagDailyConfig(dg.Config):
    full_rebuild: bool = False


@dg.asset(
    deps=["posts"],
    group_name="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
    freshness_policy=DAILY,
)
@redacted_step
def hashtag_daily(
    config: HashtagDailyConfig, warehouse: dg.ResourceParam[WarehouseFile]
) -> dg.MaterializeResult:
    """Hashtag x day counts (tags normalised: NFC + casefold), the basis of every trend query.

    Kept up to date by differences: the posts loaded since the last refresh are folded in.
    ``full_rebuild`` (the daily schedule sets it) recomputes every count from the posts.
    """
    with warehouse.connect() as con:
        (rebuild_hashtag_daily if config.full_rebuild else refresh_hashtag_daily)(con)
        table = table_metadata(con, "hashtag_daily")
    warehouse.publish()
    mode = "full rebuild" if config.full_rebuild else "incremental"
    return dg.MaterializeResult(metadata={"mode": mode, **table})


class PostsWideConfig(dg.Config):
    full_rebuild: bool = False


@dg.asset(
    deps=["posts"],  # built from the normalized tables, not from hashtag_daily
    group_name="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
    freshness_policy=DAILY,
)
@redacted_step
def posts_wide(
    config: PostsWideConfig, warehouse: dg.ResourceParam[WarehouseFile]
) -> dg.MaterializeResult:
    """The denormalized table analysts query: post + profile + hashtags + latest metrics.

    Kept up to date incrementally: the rows of the profiles loaded since the last refresh are
    replaced. ``full_rebuild`` (the daily schedule sets it) tears it down and rebuilds it from
    the normalized tables, which is what to trust when the sources change shape.
    """
    with warehouse.connect() as con:
        if config.full_rebuild:
            rows = rebuild_posts_wide(con)
            profiles = None
        else:
            profiles, rows = refresh_posts_wide(con)
        table = table_metadata(con, "posts_wide")
    published = warehouse.publish()
    return dg.MaterializeResult(
        metadata={
            "mode": "full rebuild" if config.full_rebuild else "incremental",
            "profiles_refreshed": profiles if profiles is not None else "all",
            "rows_written": rows,
            **table,
            "warehouse": dg.MetadataValue.path(str(warehouse.path)),
            "published": dg.MetadataValue.path(str(published.path)),
            "publish_seconds": round(published.seconds, 3),
            "reported_in": dg.MetadataValue.asset(dg.AssetKey("trend_report")),
        }
    )
