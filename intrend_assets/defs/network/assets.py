"""The network side: every request made, every IP the modem had, and what they teach."""

import asyncio
from datetime import datetime

import dagster as dg
import polars as pl

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.fetching.modem_client import ModemEndpoint
from intrend_assets.fetching.routes import EgressRoute, egress_routes
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from intrend_assets.lib.metadata import contract_columns, frame_markdown, table_metadata
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.raw_store.store import RawStore
from warehouse.contract import FETCH_LOG_SCHEMA, IP_LOG_SCHEMA
from warehouse.load import load_fetch_log_batches, load_ip_log
from warehouse.queries import run_query
from warehouse.tables import replace_table

COMMON = {
    "group_name": "network",
    "pool": "warehouse",
    "owners": ["team:intrend"],
    "code_version": CODE_VERSION,
    "freshness_policy": DAILY,
}


def _query_to_table(
    warehouse: dg.ResourceParam[WarehouseFile], query: str, table: str
) -> dg.MaterializeResult:
    """Materialize a warehouse query as a table, and show it on the asset's page."""
    with warehouse.connect() as con:
        frame = run_query(con, query)
        replace_table(con, table, frame)
        written = table_metadata(con, table)
    warehouse.publish()
    return dg.MaterializeResult(
        metadata={"table": dg.MetadataValue.md(frame_markdown(frame)), **written}
    )


class FetchLogConfig(dg.Config):
    """``full_reload`` loads every batch again, e.g. after fetch_log was emptied by hand."""

    full_reload: bool = False


@dg.asset(
    deps=["raw_profile"],
    kinds={"duckdb"},
    automation_condition=follow_upstream,
    metadata=contract_columns("fetch_log", FETCH_LOG_SCHEMA),
    **COMMON,
)
@redacted_step
def fetch_log(
    config: FetchLogConfig,
    raw_store: dg.ResourceParam[RawStore],
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """Every request made to Instagram: time, profile, egress IP, status, outcome, latency.

    Only the request-log batches not loaded before are read (``fetch_log_batches`` records
    them), so a run costs what is new rather than the whole history.
    """
    batches = raw_store.logs()
    with warehouse.connect() as con:
        stats = load_fetch_log_batches(
            con, batches, raw_store.read_log, full_reload=config.full_reload
        )
        table = table_metadata(con, "fetch_log")
    warehouse.publish()
    return dg.MaterializeResult(
        metadata={
            "mode": "full reload" if config.full_reload else "new batches",
            "batches_seen": stats.seen,
            "batches_loaded": stats.loaded,
            "rows_loaded": stats.rows,
            **table,
        }
    )


@dg.asset(kinds={"duckdb"}, metadata=contract_columns("ip_log", IP_LOG_SCHEMA), **COMMON)
@redacted_step
def ip_log(
    modem: dg.ResourceParam[ModemEndpoint],
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """The log of every public IP each route's modem had, copied from its modem service.

    Each sighting keeps the modem's ``seen_as`` label (first, kept, restart, returned,
    repeat): only the modem holds the whole history the label depends on. A modem service
    that does not label gives null, which ``ip_ranges`` counts as unknown. Each sighting
    carries the name of its route as the code location knows it (``INTREND_ROUTES``).
    """

    async def read(route: EgressRoute) -> list[dict[str, object]]:
        client = route.modem.open_client()
        try:
            return [{**item, "route": route.name} for item in await client.ips(limit=10_000)]
        finally:
            await client.aclose()

    async def read_all() -> list[dict[str, object]]:
        items = []
        for route in egress_routes(modem):
            items += await read(route)
        return items

    items = asyncio.run(read_all())
    frame = pl.DataFrame(
        {
            "ip": [str(i["ip"]) for i in items],
            "seen_at": [datetime.fromisoformat(str(i["seen_at"])) for i in items],
            "source": [str(i["source"]) for i in items],
            "seen_as": [None if i.get("seen_as") is None else str(i["seen_as"]) for i in items],
            "route": [str(i["route"]) for i in items],
        },
        schema=IP_LOG_SCHEMA,
    )
    with warehouse.connect() as con:
        loaded = load_ip_log(con, frame)
        table = table_metadata(con, "ip_log")
    warehouse.publish()
    return dg.MaterializeResult(metadata={"ips_seen": len(items), "rows_loaded": loaded, **table})


def served_metadata(served: pl.DataFrame) -> dict[str, dg.MetadataValue]:
    """The ``served_by_fetch_strategy`` rows as asset metadata: a table, and one number each.

    The numbers (profiles served on the log's latest day, per kind and fetch strategy) are
    numeric metadata, which the Dagster UI plots across materializations: a door closing shows
    as one line falling while another rises.
    """
    metadata: dict[str, dg.MetadataValue] = {
        "served_by_fetch_strategy": dg.MetadataValue.md(frame_markdown(served)),
    }
    for r in served.iter_rows(named=True):
        key = f"served_latest_day/{r['kind']}/{r['strategy']}"
        metadata[key] = dg.MetadataValue.int(int(r["served_latest_day"]))
    return metadata


@dg.asset(deps=["fetch_log"], kinds={"duckdb"}, automation_condition=follow_upstream, **COMMON)
@redacted_step
def fetch_stats(warehouse: dg.ResourceParam[WarehouseFile]) -> dg.MaterializeResult:
    """Requests before a rate limit per IP and per strategy, latency percentiles, rotations.

    The ``fetch_stats`` table is per PACING strategy (its columns are read by tests and the
    benchmarks). How many profiles each FETCH strategy served is metadata beside it, from
    ``served_by_fetch_strategy``; ``intrend-warehouse strategy-health`` shows it per day.
    """
    with warehouse.connect() as con:
        frame = run_query(con, "fetch_stats_by_strategy")
        replace_table(con, "fetch_stats", frame)
        served = run_query(con, "served_by_fetch_strategy")
        table = table_metadata(con, "fetch_stats")
    warehouse.publish()
    return dg.MaterializeResult(
        metadata={
            **table,
            "table": dg.MetadataValue.md(frame_markdown(frame)),
            **served_metadata(served),
        }
    )


@dg.asset(deps=["ip_log"], kinds={"duckdb"}, automation_condition=follow_upstream, **COMMON)
@redacted_step
def ip_ranges(warehouse: dg.ResourceParam[WarehouseFile]) -> dg.MaterializeResult:
    """The IP log aggregated to /16 and /24 blocks, the carriers' ranges: per route, and
    across routes (``route`` null)."""
    return _query_to_table(warehouse, "ip_ranges", "ip_ranges")


__all__ = ["fetch_log", "fetch_stats", "ip_log", "ip_ranges"]
