"""The warehouse checks share one step (``warehouse_checks``) but stay five checks to Dagster:
each runs alone when it alone is selected, and the blocking one still holds back what
follows posts_wide."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from intrend_assets.defs.reports.assets import trend_report
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.assets import posts_wide
from intrend_assets.defs.warehouse.checks import WAREHOUSE_CHECKS, warehouse_checks
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from warehouse.db import connect


def _warehouse(tmp_path: Path) -> WarehouseFile:
    path = tmp_path / "warehouse.duckdb"
    connect(path).close()  # create the schema
    warehouse = WarehouseFile(path)
    warehouse.publish()  # the checks read the published copy, as after any writing step
    return warehouse


def test_every_check_keeps_its_own_key_and_one_step_runs_them() -> None:
    keys = {spec.key for spec in warehouse_checks.check_specs}
    assert keys == {check.spec.key for check in WAREHOUSE_CHECKS}
    assert len(keys) == 5
    assert warehouse_checks.can_subset


def test_one_check_selected_runs_alone(tmp_path: Path) -> None:
    key = dg.AssetCheckKey(dg.AssetKey("hashtag_daily"), "hashtag_daily_consistent")
    result = dg.materialize(
        [warehouse_checks],
        selection=dg.AssetSelection.checks(key),
        resources={"warehouse": _warehouse(tmp_path)},
    )
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key == key and evaluation.passed


def test_a_duplicate_post_fails_the_blocking_check_and_holds_back_the_report(
    tmp_path: Path,
) -> None:
    warehouse = _warehouse(tmp_path)
    with connect(warehouse.path) as con:
        con.execute("INSERT INTO posts_wide (post_id) VALUES ('1'), ('1')")
    result = dg.materialize(
        [posts_wide, trend_report, warehouse_checks],
        resources={
            "warehouse": warehouse,
            "raw_store": LocalRawStore(tmp_path / "raw"),  # the report's contact sheet
            "media": IntrendSettings().media_config(),
        },
        raise_on_error=False,
    )
    assert not result.success
    by_name = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not by_name["posts_wide_unique_post_id"].passed
    assert by_name["posts_wide_unique_post_id"].severity == dg.AssetCheckSeverity.ERROR
    # The other posts_wide checks ran in the same step; the checks of assets not in this run
    # (hashtag_daily, fetch_log) did not.
    assert set(by_name) == {
        "posts_wide_unique_post_id",
        "posts_taken_at_valid",
        "posts_owner_known",
    }
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"posts_wide"}
