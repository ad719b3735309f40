"""The fetch_log asset loads only the request-log batches it has not loaded before."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from intrend_assets.defs.network.assets import FetchLogConfig, fetch_log
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.raw_store.store import RawStore
from tests.infra.s3 import StoreFactory
from tests.intrend_assets.test_network_strategies import _write_batch
from tests.warehouse.test_strategy_health import old_rows, two_day_log
from warehouse.db import connect


def _run(
    store: RawStore, tmp_path: Path, instance: dg.DagsterInstance, *, full_reload: bool = False
) -> dict:
    result = dg.materialize(
        [fetch_log],
        resources={
            "raw_store": store,
            "warehouse": WarehouseFile(Path(str(tmp_path / "warehouse.duckdb"))),
        },
        run_config=dg.RunConfig(ops={"fetch_log": FetchLogConfig(full_reload=full_reload)}),
        instance=instance,
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.step_materialization_data.materialization.metadata
    return {k: v.value for k, v in metadata.items()}


def _requests(tmp_path: Path) -> int:
    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        return con.execute("SELECT count(*) FROM fetch_log").fetchall()[0][0]
    finally:
        con.close()


def test_second_run_loads_no_batch_and_full_reload_loads_all(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    _write_batch(store, "old-run-0.parquet", old_rows())
    _write_batch(store, "run-1-0.parquet", two_day_log())
    with dg.instance_for_test() as instance:
        first = _run(store, tmp_path, instance)
        assert first["batches_seen"] == 2 and first["batches_loaded"] == 2
        assert first["rows_loaded"] == 3 + 39
        second = _run(store, tmp_path, instance)
        assert second["batches_seen"] == 2
        assert second["batches_loaded"] == 0 and second["rows_loaded"] == 0
        full = _run(store, tmp_path, instance, full_reload=True)
        assert (full["batches_loaded"], full["rows_loaded"]) == (2, 42)
        assert full["mode"] == "full reload"
    assert _requests(tmp_path) == 42
