"""The rate-limit experiments' history: one row per pacing per run, kept across runs
(``rate_limit_experiment_history``, schema 009), where ``rate_limit_experiment`` holds only
the latest run."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.load.transaction import transaction

EXPERIMENT_HISTORY_KEY = ("run_id", "pacing")
EXPERIMENT_HISTORY_SCHEMA = pl.Schema(
    {
        "run_id": pl.String,
        "run_date": pl.Date,
        "pacing": pl.String,
        "pacing_kind": pl.String,
        "ordering": pl.String,
        "paging": pl.String,
        "rotate": pl.Boolean,
        "profiles": pl.Int32,
        "stored": pl.Int32,
        "failed": pl.Int32,
        "requests": pl.Int32,
        "page_requests": pl.Int32,
        "rate_limited": pl.Int32,
        "rotations": pl.Int32,
        "median_requests_before_limit": pl.Float64,
        "median_lookups_before_limit": pl.Float64,
        "seconds": pl.Float64,
        "profiles_per_hour": pl.Float64,
    }
)
# The comparison table's columns that the history names more plainly.
_RENAMED = {"strategy": "pacing", "pacing": "pacing_kind"}


def experiment_history_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Comparison rows (:func:`intrend_assets.fetching.experiments.summarize`) in the
    history's schema: renamed, missing columns null, extra ones dropped."""
    renamed = rows.rename({k: v for k, v in _RENAMED.items() if k in rows.columns})
    return renamed.select(
        pl.col(name).cast(dtype, strict=False)
        if name in renamed.columns
        else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in EXPERIMENT_HISTORY_SCHEMA.items()
    )


def load_experiment_history(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> int:
    """Upsert by (run_id, pacing): earlier runs stay, a retried run replaces its own rows.
    Returns the rows written."""
    staged = experiment_history_frame(rows).unique(
        list(EXPERIMENT_HISTORY_KEY), keep="last", maintain_order=True
    )
    if staged.height == 0:
        return 0
    with transaction(con):
        con.register("_stage_experiment", staged.to_arrow())
        try:
            con.execute(
                "DELETE FROM rate_limit_experiment_history AS t USING _stage_experiment AS s"
                " WHERE t.run_id = s.run_id AND t.pacing = s.pacing"
            )
            con.execute(
                "INSERT INTO rate_limit_experiment_history BY NAME SELECT * FROM _stage_experiment"
            )
        finally:
            con.unregister("_stage_experiment")
    return staged.height
