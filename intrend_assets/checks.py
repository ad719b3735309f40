"""Asset checks guarding the warehouse; the SQL lives in ``warehouse.checks``."""

from collections.abc import Callable
from typing import Any

import dagster as dg
import duckdb

from intrend_assets.resources import WarehouseResource
from warehouse import checks

Check = Callable[[duckdb.DuckDBPyConnection], tuple[bool, dict[str, Any]]]


def _result(
    warehouse: WarehouseResource,
    check: Check,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        passed, metadata = check(con)
    return dg.AssetCheckResult(
        passed=passed,
        severity=severity,
        metadata={k: _jsonable(v) for k, v in metadata.items()},
    )


def _jsonable(value: object) -> object:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return dg.MetadataValue.json(value) if isinstance(value, (list, dict)) else str(value)


@dg.asset_check(asset="posts_wide", blocking=True, description="No post appears twice.")
def posts_wide_unique_post_id(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(
        warehouse, lambda con: _both(checks.posts_unique(con), checks.posts_wide_unique(con))
    )


@dg.asset_check(
    asset="posts_wide", description="Every post has a time, and none lies in the future."
)
def posts_taken_at_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(warehouse, checks.taken_at_valid)


@dg.asset_check(asset="posts_wide", description="Every post's owner is in profiles.")
def posts_owner_known(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(warehouse, checks.post_owners_known)


@dg.asset_check(
    asset="hashtag_counts", description="Daily counts add up to what post_hashtags holds."
)
def hashtag_counts_consistent(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(warehouse, checks.hashtag_daily_consistent)


@dg.asset_check(
    asset="fetch_log",
    blocking=False,
    description=(
        "Every fetch strategy that served profiles on the previous fetch day still works on the "
        f"latest: success rate at least {checks.MIN_SUCCESS_RATE}, login walls at most "
        f"{checks.MAX_LOGIN_WALL_SHARE:.0%} of its requests (both counted over the requests "
        "Instagram answered: a rate limit is the IP's, not the door's), no strategy_gone answer. "
        "A warning: "
        "the fetcher falls back to the next strategy, so this is the early sign of a door "
        "closing, before the pipeline stalls (see `intrend-warehouse strategy-health`)."
    ),
)
def strategy_doors_open(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _result(warehouse, checks.strategy_doors_open, dg.AssetCheckSeverity.WARN)


def _both(
    first: tuple[bool, dict[str, Any]], second: tuple[bool, dict[str, Any]]
) -> tuple[bool, dict[str, Any]]:
    return first[0] and second[0], {
        **{f"posts.{k}": v for k, v in first[1].items()},
        **{f"posts_wide.{k}": v for k, v in second[1].items()},
    }


ASSET_CHECKS = [
    posts_wide_unique_post_id,
    posts_taken_at_valid,
    posts_owner_known,
    hashtag_counts_consistent,
    strategy_doors_open,
]
