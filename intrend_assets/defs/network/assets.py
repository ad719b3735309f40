"""The network side: every request made, every IP the modem had, and what they teach."""

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.resources import (
    InstagramResource,
    ModemResource,
    RawStoreResource,
    WarehouseResource,
)
from intrend_assets.fetching.experiments import STRATEGIES, summarize
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.metadata import frame_markdown
from intrend_assets.raw_store.store import LocalRawStore
from warehouse.load import load_fetch_log, load_fetch_log_batches, load_ip_log
from warehouse.queries import run_query
from warehouse.tables import replace_table

COMMON = {"group_name": "network", "pool": "warehouse", "owners": ["team:intrend"]}


def _query_to_table(warehouse: WarehouseResource, query: str, table: str) -> dg.MaterializeResult:
    """Materialize a warehouse query as a table, and show it on the asset's page."""
    with warehouse.connect() as con:
        frame = run_query(con, query)
        replace_table(con, table, frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "table": dg.MetadataValue.md(frame_markdown(frame)),
        }
    )


class FetchLogConfig(dg.Config):
    """``full_reload`` loads every batch again, e.g. after fetch_log was emptied by hand."""

    full_reload: bool = False


@dg.asset(deps=["raw_profile"], kinds={"duckdb"}, automation_condition=follow_upstream, **COMMON)
def fetch_log(
    config: FetchLogConfig, raw_store: RawStoreResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every request made to Instagram: time, profile, egress IP, status, outcome, latency.

    Only the request-log batches not loaded before are read (``fetch_log_batches`` records
    them), so a run costs what is new rather than the whole history.
    """
    paths = raw_store.store().logs()
    with warehouse.connect() as con:
        stats = load_fetch_log_batches(con, paths, full_reload=config.full_reload)
    return dg.MaterializeResult(
        metadata={
            "mode": "full reload" if config.full_reload else "new batches",
            "batches_seen": stats.seen,
            "batches_loaded": stats.loaded,
            "rows_loaded": stats.rows,
        }
    )


@dg.asset(kinds={"duckdb"}, **COMMON)
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
def fetch_stats(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Requests before a rate limit per IP and per strategy, latency percentiles, rotations.

    The ``fetch_stats`` table is per PACING strategy (its columns are read by tests and the
    benchmarks). How many profiles each FETCH strategy served is metadata beside it, from
    ``served_by_fetch_strategy``; ``intrend-warehouse strategy-health`` shows it per day.
    """
    with warehouse.connect() as con:
        frame = run_query(con, "fetch_stats_by_strategy")
        replace_table(con, "fetch_stats", frame)
        served = run_query(con, "served_by_fetch_strategy")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "table": dg.MetadataValue.md(frame_markdown(frame)),
            **served_metadata(served),
        }
    )


@dg.asset(deps=["ip_log"], kinds={"duckdb"}, automation_condition=follow_upstream, **COMMON)
def ip_ranges(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The modem's IP log aggregated to /16 and /24 blocks: the carrier's ranges."""
    return _query_to_table(warehouse, "ip_ranges", "ip_ranges")


class ExperimentConfig(dg.Config):
    """Which strategies to compare, on how many profiles, for how long each."""

    sample_size: int = 100
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))
    pacing_seconds: float = 1.0
    max_seconds_per_strategy: float = 600.0


@dg.asset(kinds={"python", "duckdb"}, **{**COMMON, "pool": "instagram"})
def rate_limit_experiment(
    context: dg.AssetExecutionContext,
    config: ExperimentConfig,
    instagram: InstagramResource,
    modem: ModemResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """Each pacing strategy over the same sample of profiles, compared side by side.

    Every strategy starts on a fresh IP; its requests land in ``fetch_log`` (strategy
    ``experiment:<name>``) and its summary in the ``rate_limit_experiment`` table.
    """
    unknown = [s for s in config.strategies if s not in STRATEGIES]
    if unknown:
        raise dg.Failure(f"unknown strategies {unknown}; known: {sorted(STRATEGIES)}")
    sample = context.instance.get_dynamic_partitions(profiles_partitions.name)
    sample = sample[: config.sample_size]
    if not sample:
        raise dg.Failure("no profiles registered to experiment on")

    async def run_one(name: str, root: Path) -> dict[str, object]:
        strategy = STRATEGIES[name]
        client = instagram.open_client()
        modem_client = modem.open_client()
        try:
            await modem_client.rotate()  # a fresh IP, so strategies start equal
            gate = RotationGate(modem_client.rotate, current_ip=await modem_client.current_ip())
            report = await fetch_profiles(
                sample,
                client.get_profile,
                gate,
                LocalRawStore(root),
                strategy.policy(instagram.policy(), config.pacing_seconds),
                run_id=context.run.run_id,
                stop_after=config.max_seconds_per_strategy,
            )
        finally:
            await client.aclose()
            await modem_client.aclose()
        log = pl.DataFrame(report.log)
        with warehouse.connect() as con:
            load_fetch_log(con, log)
        row = summarize(strategy, report, len(sample))
        context.log.info(f"strategy {name}: {row}")
        return row

    rows = []
    with tempfile.TemporaryDirectory(prefix="intrend-experiment-") as tmp:
        for name in config.strategies:
            rows.append(asyncio.run(run_one(name, Path(tmp) / name)))
    frame = pl.DataFrame(rows)
    with warehouse.connect() as con:
        replace_table(con, "rate_limit_experiment", frame)
    return dg.MaterializeResult(metadata={"comparison": dg.MetadataValue.md(frame_markdown(frame))})


__all__ = ["fetch_log", "fetch_stats", "ip_log", "ip_ranges", "rate_limit_experiment"]
