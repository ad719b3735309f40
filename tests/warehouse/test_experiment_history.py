"""rate_limit_experiment_history keeps every run: one row per pacing per run."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.load import load_experiment_history


def _rows(run_id: str, day: date, stored: int) -> pl.DataFrame:
    """Rows as the experiment asset builds them (``summarize``'s column names)."""
    return pl.DataFrame(
        [
            {
                "run_id": run_id,
                "run_date": day,
                "strategy": name,
                "pacing": kind,
                "ordering": "as_given",
                "paging": "together",
                "rotate": True,
                "profiles": 10,
                "stored": stored,
                "median_requests_before_limit": None,
                "not_a_history_column": 1,
            }
            for name, kind in (("no-sleep", "none"), ("fixed-sleep", "fixed"))
        ]
    )


def test_runs_accumulate_and_a_rerun_replaces_only_its_own_rows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert load_experiment_history(con, _rows("run-1", date(2026, 11, 23), 5)) == 2
    load_experiment_history(con, _rows("run-2", date(2026, 11, 30), 7))
    load_experiment_history(con, _rows("run-2", date(2026, 11, 30), 9))  # a retried run
    rows = con.execute(
        "SELECT run_id, run_date, pacing, pacing_kind, stored"
        " FROM rate_limit_experiment_history ORDER BY run_id, pacing"
    ).fetchall()
    assert rows == [
        ("run-1", date(2026, 11, 23), "fixed-sleep", "fixed", 5),
        ("run-1", date(2026, 11, 23), "no-sleep", "none", 5),
        ("run-2", date(2026, 11, 30), "fixed-sleep", "fixed", 9),
        ("run-2", date(2026, 11, 30), "no-sleep", "none", 9),
    ]
