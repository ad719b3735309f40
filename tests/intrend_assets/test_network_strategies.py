"""fetch_log, fetch_stats and the strategy_doors_open check in Dagster (issue 8).

Old and new request-log batches on disk load side by side; the check warns without failing
the run; fetch_stats carries how many profiles each fetch strategy served.
"""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg
import polars as pl

from intrend_assets.defs.network.assets import fetch_log, fetch_stats
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS, warehouse_checks
from intrend_assets.raw_store.store import LocalRawStore, RawStore
from tests.warehouse.test_strategy_health import DAY1, old_rows, two_day_log
from warehouse.db import connect


def _write_batch(store: RawStore, name: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    store.write_log(name, buffer.getvalue())


def _materialize(tmp_path: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [fetch_log, fetch_stats, warehouse_checks],
        resources={
            "raw_store": LocalRawStore(Path(str(tmp_path / "raw"))),
            "warehouse": WarehouseFile(Path(str(tmp_path / "warehouse.duckdb"))),
        },
        instance=instance,
    )


def test_doors_check_warns_and_fetch_stats_shows_served(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path / "raw")
    # A batch written before issue 8 (no kind, no session), an hour before the new ones.
    old = old_rows().with_columns(pl.col("requested_at") - pl.duration(hours=1))
    _write_batch(store, "old-run-0.parquet", old)
    _write_batch(store, "run-1-0.parquet", two_day_log())
    with dg.instance_for_test() as instance:
        result = _materialize(tmp_path, instance)
        assert result.success  # a warning, not a blocking failure
        (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "strategy_doors_open"
    assert evaluation.asset_key == dg.AssetKey("fetch_log")
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    offending = evaluation.metadata["offending_strategies"].value
    assert offending == ["profile/web_profile_info"]

    (stats,) = [
        e.step_materialization_data.materialization
        for e in result.get_asset_materialization_events()
        if e.step_materialization_data.materialization.asset_key == dg.AssetKey("fetch_stats")
    ]
    assert stats.metadata["served_latest_day/profile/web_profile_info"].value == 5
    assert stats.metadata["served_latest_day/profile/graphql_doc_id"].value == 5
    assert stats.metadata["served_latest_day/page/graphql_doc_id"].value == 0
    assert "| kind | strategy |" in stats.metadata["served_by_fetch_strategy"].value
    assert "table" in stats.metadata and "dagster/row_count" in stats.metadata

    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM fetch_log").fetchall() == [(42,)]
        assert con.execute("SELECT kind FROM fetch_log WHERE endpoint = 'timeline'").fetchall() == [
            ("page",)
        ]
        # fetch_stats keeps its pacing-strategy columns.
        columns = [r[0] for r in con.execute("DESCRIBE fetch_stats").fetchall()]
        assert columns[:3] == ["strategy", "requests", "ok"]
        assert con.execute("SELECT strategy, requests FROM fetch_stats").fetchall() == [
            ("default", 42)
        ]
    finally:
        con.close()


def test_doors_check_passes_on_one_healthy_day(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path / "raw")
    day1 = two_day_log().filter(pl.col("requested_at").dt.date() == DAY1.date())
    _write_batch(store, "run-1-0.parquet", day1)
    with dg.instance_for_test() as instance:
        result = _materialize(tmp_path, instance)
        assert result.success
        (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed


def test_check_is_registered_non_blocking() -> None:
    assert warehouse_checks in ASSET_CHECKS
    (spec,) = [s for s in warehouse_checks.check_specs if s.name == "strategy_doors_open"]
    assert spec.asset_key == dg.AssetKey("fetch_log") and not spec.blocking
