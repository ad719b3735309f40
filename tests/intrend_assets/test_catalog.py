"""What a Dagster user sees in the catalog: table names, columns, row counts, code versions,
freshness, honest dependencies, and the experiment kept out of "Materialize all"."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.definitions import ASSETS, defs
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.raw_store.store import LocalRawStore
from tests.fakes import FakeModem
from warehouse.db import connect

# Every asset that writes a warehouse table of its own name (raw_profile writes the raw
# store, trend_report a report).
TABLE_ASSETS = {
    "posts",
    "hashtag_daily",
    "posts_wide",
    "fetch_log",
    "ip_log",
    "fetch_stats",
    "ip_ranges",
    "rate_limit_experiment",
}
# Those a run can build on an empty warehouse without Instagram (the experiment's own run is
# in tests/e2e/test_network.py).
OFFLINE = sorted(TABLE_ASSETS - {"rate_limit_experiment"})


def _graph() -> dg.AssetGraph:  # type: ignore[name-defined]
    return defs.resolve_asset_graph()


def _columns(path: Path, table: str) -> list[str]:
    con = connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " ORDER BY ordinal_position",
            [table],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def test_table_assets_are_the_ones_writing_tables() -> None:
    keys = {k.to_user_string() for k in _graph().get_all_asset_keys()}
    assert keys >= TABLE_ASSETS
    assert "hashtag_counts" not in keys  # the asset is named after the table it writes


def test_posts_wide_depends_only_on_what_it_reads() -> None:
    parents = _graph().get(dg.AssetKey("posts_wide")).parent_keys
    assert parents == {dg.AssetKey("posts")}


def test_every_asset_has_a_code_version_and_every_table_a_freshness_policy() -> None:
    graph = _graph()
    nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert {name for name, node in nodes.items() if not node.code_version} == set()
    stale_unknown = {n for n in TABLE_ASSETS if nodes[n].freshness_policy is None}
    assert stale_unknown == set()


def test_contract_tables_show_their_columns_before_any_run(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    connect(path).close()  # the schema, as a first run creates it
    specs = {s.key.to_user_string(): s for a in defs.assets or [] for s in _specs(a)}
    for table in ("posts", "fetch_log", "ip_log"):
        schema = specs[table].metadata["dagster/column_schema"]
        # the contract's order, which is not always the table's
        assert sorted(c.name for c in schema.columns) == sorted(_columns(path, table)), table
        assert specs[table].metadata["dagster/table_name"] == table


def _specs(asset: object) -> list[dg.AssetSpec]:
    if isinstance(asset, dg.AssetSpec):
        return [asset]
    return list(asset.specs)  # type: ignore[attr-defined]


def test_every_table_asset_reports_its_rows_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    resources = {
        "raw_store": LocalRawStore(tmp_path / "raw"),
        "warehouse": WarehouseFile(path),
        "modem": FakeModem(),
        "metrics": MetricsGateway(None),
    }
    chosen = [a for a in ASSETS if isinstance(a, dg.AssetsDefinition) and a.key.path[0] in OFFLINE]
    result = dg.materialize(chosen, resources=resources)
    assert result.success
    reported = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert set(reported) == set(OFFLINE)
    for name, metadata in reported.items():
        assert metadata["dagster/table_name"].value == name
        schema = metadata["dagster/column_schema"].value
        assert [c.name for c in schema.columns] == _columns(path, name), name
        con = connect(path, read_only=True)
        try:
            (rows,) = con.execute(f"SELECT count(*) FROM {name}").fetchone()
        finally:
            con.close()
        assert metadata["dagster/row_count"].value == rows, name
    assert reported["ip_log"]["dagster/row_count"].value == 1  # the fake modem's one IP


def test_materialize_all_leaves_the_experiment_out() -> None:
    """The UI's "Materialize all" targets the executable assets; the experiment is not one,
    so only its job (and its schedule) can run it."""
    graph = _graph()
    experiment = graph.get(dg.AssetKey("rate_limit_experiment"))
    assert not experiment.is_executable
    everything = dg.AssetSelection.all().resolve(graph)
    executable = {k for k in everything if graph.get(k).is_executable}
    assert dg.AssetKey("rate_limit_experiment") not in executable
    job = defs.resolve_job_def("rate_limit_experiment_job")
    # The pacings (instagram pool), then their load (warehouse pool).
    assert sorted(n.name for n in job.nodes) == [
        "load_rate_limit_experiment",
        "rate_limit_experiment",
    ]
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="executable"):
        defs.resolve_implicit_global_asset_job_def().get_subset(
            asset_selection={dg.AssetKey("rate_limit_experiment")}
        )
