"""``rate_limit_experiment``: each pacing over the same sample, side by side.

It rotates the modem once per pacing, so it runs only from its own job (weekly schedule, or
launched by hand), never with other assets: the asset is declared as a spec that Dagster
cannot materialize (the UI's "Materialize" and "Materialize all" leave such assets out), and
the job's ops report its materializations. The table, its history and its page stay in the
catalog as before.

Two ops, one per pool: the pacings run in the ``instagram`` pool (they rotate the modem) and
hand their request logs and summary rows to a second op in the ``warehouse`` pool, which
writes them. An op has one pool, and a DuckDB writer outside ``warehouse`` would meet a
``posts`` load on the file's lock.
"""

import asyncio
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import dagster as dg
import polars as pl
from pydantic import Field

from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.experiments import PACINGS, run_pacing, summarize
from intrend_assets.fetching.modem_client import ModemEndpoint
from intrend_assets.lib.freshness import CODE_VERSION, WEEKLY
from intrend_assets.lib.metadata import frame_markdown, table_metadata
from intrend_assets.lib.redacted_logs import redacted_step
from warehouse.load import load_experiment_history, load_fetch_log
from warehouse.tables import replace_table


class ExperimentConfig(dg.Config):
    """Which pacings to compare, on how many profiles, for how long each (``strategies`` and
    ``max_seconds_per_strategy`` keep their names: they are the job's run config)."""

    sample_size: int = 100
    strategies: list[str] = Field(default_factory=lambda: list(PACINGS))
    pacing_seconds: float = 1.0
    max_seconds_per_strategy: float = 600.0


DESCRIPTION = """Each pacing over the same sample of profiles, compared side by side.

Every pacing starts on a fresh IP; its requests land in ``fetch_log`` (column
``strategy`` = ``experiment:<name>``) and its summary, one row per pacing, in
``rate_limit_experiment_history`` (kept across runs, keyed by run id and pacing) and in
``rate_limit_experiment`` (the latest run only, replaced whole, for its readers). Launched
from ``rate_limit_experiment_job`` only: it rotates the modem once per pacing."""

rate_limit_experiment = dg.AssetSpec(
    "rate_limit_experiment",
    description=DESCRIPTION,
    kinds={"python", "duckdb"},
    group_name="network",
    owners=["team:intrend"],
    code_version=CODE_VERSION,
    freshness_policy=WEEKLY,
    metadata={"dagster/table_name": "rate_limit_experiment"},
)


class ExperimentResults(NamedTuple):
    """What the pacings produced, for the warehouse op: each pacing's request log and the
    summary rows (one per pacing)."""

    logs: list[list[dict[str, Any]]]
    rows: list[dict[str, Any]]


@dg.op(
    name="rate_limit_experiment",
    pool="instagram",
    description=DESCRIPTION,
    out=dg.Out(ExperimentResults),
)
@redacted_step
def run_rate_limit_experiment(
    context: dg.OpExecutionContext,
    config: ExperimentConfig,
    instagram: dg.ResourceParam[InstagramAccess],
    modem: dg.ResourceParam[ModemEndpoint],
) -> ExperimentResults:
    """Run every pacing (the op keeps the asset's name, so the run config is the same)."""
    unknown = [s for s in config.strategies if s not in PACINGS]
    if unknown:
        raise dg.Failure(f"unknown pacings {unknown}; known: {sorted(PACINGS)}")
    sample = context.instance.get_dynamic_partitions(profiles_partitions.name)
    sample = sample[: config.sample_size]
    if not sample:
        raise dg.Failure("no profiles registered to experiment on")
    results = ExperimentResults([], [])
    with tempfile.TemporaryDirectory(prefix="intrend-experiment-") as tmp:
        for name in config.strategies:
            report = asyncio.run(
                run_pacing(
                    PACINGS[name],
                    sample,
                    instagram,
                    modem,
                    Path(tmp) / name,
                    pacing_seconds=config.pacing_seconds,
                    run_id=context.run.run_id,
                    stop_after=config.max_seconds_per_strategy,
                )
            )
            row = summarize(PACINGS[name], report, len(sample), run_id=context.run.run_id)
            context.log.info(f"pacing {name}: {row}")
            results.logs.append(list(report.log))
            results.rows.append(row)
    return results


@dg.op(pool="warehouse")
@redacted_step
def load_rate_limit_experiment(
    context: dg.OpExecutionContext,
    results: ExperimentResults,
    warehouse: dg.ResourceParam[WarehouseFile],
) -> None:
    """Write the pacings' requests to ``fetch_log`` and their comparison to
    ``rate_limit_experiment`` and its history; report the asset's materialization."""
    frame = pl.DataFrame(results.rows)
    with warehouse.connect() as con:
        for log in results.logs:
            load_fetch_log(con, pl.DataFrame(log))
        load_experiment_history(con, frame)
        replace_table(con, "rate_limit_experiment", frame)
        table = table_metadata(con, "rate_limit_experiment")
    comparison = dg.MetadataValue.md(frame_markdown(frame))
    context.log_event(
        dg.AssetMaterialization(
            rate_limit_experiment.key, metadata={"comparison": comparison, **table}
        )
    )
