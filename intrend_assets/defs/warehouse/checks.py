"""Asset checks guarding the warehouse; the SQL lives in ``warehouse.checks``.

All five checks are one ``multi_asset_check``: each is still its own check in Dagster (its
own history, severity and Execute button in the UI, since the step runs whichever subset is
selected), but they share one step and one read-only open of the DuckDB file. As five steps
they cost a run five step start-ups and five opens of the warehouse (about 20 ms each: the
DuckDB instance starting up), more than their queries: most of an incremental update's
downstream run.

The posts checks look only at the rows the last incremental refresh wrote (every row was
checked when it was written), so their cost follows the update, not the warehouse; after a
full rebuild (the daily schedule) they look at every row.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import dagster as dg
import duckdb

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.loading.watch import PendingLimit, unloaded_fetches
from intrend_assets.raw_store.store import RawStore
from warehouse import checks

Check = Callable[[duckdb.DuckDBPyConnection], tuple[bool, dict[str, Any]]]


def _posts_unique(con: duckdb.DuckDBPyConnection) -> tuple[bool, dict[str, Any]]:
    """Both tables: a duplicate in ``posts`` is the loader's fault, in ``posts_wide`` the
    refresh's; the metadata says which."""
    first = checks.posts_unique(con, changed_only=True)
    second = checks.posts_wide_unique(con, changed_only=True)
    return first[0] and second[0], {
        **{f"posts.{k}": v for k, v in first[1].items()},
        **{f"posts_wide.{k}": v for k, v in second[1].items()},
    }


@dataclass(frozen=True)
class WarehouseCheck:
    """One check: what Dagster shows (the spec) and the SQL that decides it."""

    spec: dg.AssetCheckSpec
    run: Check
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


WAREHOUSE_CHECKS = (
    WarehouseCheck(
        dg.AssetCheckSpec(
            "posts_wide_unique_post_id",
            asset="posts_wide",
            blocking=True,
            description="No post appears twice.",
        ),
        _posts_unique,
    ),
    WarehouseCheck(
        dg.AssetCheckSpec(
            "posts_taken_at_valid",
            asset="posts_wide",
            description="Every post has a time, and none lies in the future.",
        ),
        partial(checks.taken_at_valid, changed_only=True),
    ),
    WarehouseCheck(
        dg.AssetCheckSpec(
            "posts_owner_known",
            asset="posts_wide",
            description="Every post's owner is in profiles.",
        ),
        partial(checks.post_owners_known, changed_only=True),
    ),
    WarehouseCheck(
        dg.AssetCheckSpec(
            "hashtag_daily_consistent",
            asset="hashtag_daily",
            description="Daily counts add up to what post_hashtags holds.",
        ),
        partial(checks.hashtag_daily_consistent, changed_only=True),
    ),
    WarehouseCheck(
        dg.AssetCheckSpec(
            "strategy_doors_open",
            asset="fetch_log",
            blocking=False,
            description=(
                "Every fetch strategy that served profiles on the previous fetch day still works "
                f"on the latest: success rate at least {checks.MIN_SUCCESS_RATE}, login walls "
                f"at most {checks.MAX_LOGIN_WALL_SHARE:.0%} of its requests (both counted over "
                "the requests Instagram answered: a rate limit is the IP's, not the door's), no "
                "strategy_gone answer. A warning: the fetcher falls back to the next strategy, "
                "so this is the early sign of a door closing, before the pipeline stalls (see "
                "`intrend-warehouse strategy-health`)."
            ),
        ),
        checks.strategy_doors_open,
        dg.AssetCheckSeverity.WARN,
    ),
)


def _jsonable(value: object) -> object:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return dg.MetadataValue.json(value) if isinstance(value, (list, dict)) else str(value)


def evaluate(
    con: duckdb.DuckDBPyConnection, selected: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    """The results of the ``selected`` checks, in their declared order, on one connection
    (the rows of a refresh found once for all of them: ``warehouse.checks.reads_shared``)."""
    with checks.reads_shared(con):
        for check in WAREHOUSE_CHECKS:
            if check.spec.key not in selected:
                continue
            passed, metadata = check.run(con)
            yield dg.AssetCheckResult(
                asset_key=check.spec.asset_key,
                check_name=check.spec.name,
                passed=passed,
                severity=check.severity,
                metadata={k: _jsonable(v) for k, v in metadata.items()},
            )


@dg.multi_asset_check(
    specs=[check.spec for check in WAREHOUSE_CHECKS],
    can_subset=True,
    name="warehouse_checks",
    description=(
        "The warehouse's checks, run together on one read-only connection to the published "
        "copy (so they need no pool and never hold a lock a writer needs)."
    ),
)
@redacted_step
def warehouse_checks(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[WarehouseFile]
) -> Iterator[dg.AssetCheckResult]:
    with warehouse.connect_published() as con:
        yield from evaluate(con, set(context.selected_asset_check_keys))


@dg.asset_check(
    asset="posts",
    name="fetches_loaded",
    description=(
        "Every fetch the raw store holds reaches the warehouse: none waits in the queue for "
        "longer than INTREND_MAX_PENDING_HOURS (loads keep failing, or none runs) and none "
        "was set aside because the warehouse refused its rows (reload those with "
        "full_refresh once the cause is fixed). The metadata lists the keys and reasons."
    ),
)
@redacted_step
def fetches_loaded(
    raw_store: dg.ResourceParam[RawStore], pending_limit: dg.ResourceParam[PendingLimit]
) -> dg.AssetCheckResult:
    passed, metadata = unloaded_fetches(raw_store, pending_limit)
    return dg.AssetCheckResult(
        passed=passed, metadata={k: _jsonable(v) for k, v in metadata.items()}
    )


ASSET_CHECKS = [warehouse_checks, fetches_loaded]
