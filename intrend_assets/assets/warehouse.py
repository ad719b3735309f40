"""Warehouse-wide tables rebuilt from the normalized ones: hashtag counts and ``posts_wide``."""

import asyncio
from datetime import datetime

import dagster as dg
import polars as pl

from intrend_assets.resources import ModemResource, RawStoreResource, WarehouseResource
from warehouse.load import load_fetch_log, load_ip_log, rebuild_posts_wide, refresh_hashtag_daily


@dg.asset(
    deps=["posts"],
    group_name="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
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
)
def posts_wide(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The denormalized table analysts query: post + profile + hashtags + latest metrics.

    Torn down and rebuilt from the normalized tables, which is cheaper to trust than patching.
    """
    with warehouse.connect() as con:
        rows = rebuild_posts_wide(con)
    return dg.MaterializeResult(metadata={"rows": rows, "dagster/row_count": rows})


@dg.asset(
    deps=["raw_profile"],
    group_name="network",
    kinds={"duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
)
def fetch_log(raw_store: RawStoreResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every request made to Instagram: time, profile, egress IP, status, outcome, latency."""
    paths = raw_store.store().logs()
    loaded = 0
    with warehouse.connect() as con:
        for path in paths:
            loaded += load_fetch_log(con, pl.read_parquet(path))
    return dg.MaterializeResult(metadata={"batches": len(paths), "rows_loaded": loaded})


@dg.asset(group_name="network", kinds={"duckdb"}, pool="warehouse", owners=["team:intrend"])
def ip_log(modem: ModemResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The modem's log of every public IP it had, copied from the modem service."""

    async def read() -> list[dict[str, object]]:
        client = modem.open_client()
        try:
            return await client.ips(limit=10_000)
        finally:
            await client.aclose()

    items = asyncio.run(read())
    frame = pl.DataFrame(
        {
            "ip": [str(i["ip"]) for i in items],
            "seen_at": [datetime.fromisoformat(str(i["seen_at"])) for i in items],
            "source": [str(i["source"]) for i in items],
        },
        schema={"ip": pl.String, "seen_at": pl.Datetime("us", "UTC"), "source": pl.String},
    )
    with warehouse.connect() as con:
        loaded = load_ip_log(con, frame)
    return dg.MaterializeResult(metadata={"ips_seen": len(items), "rows_loaded": loaded})
