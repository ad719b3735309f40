"""Request-log batches load once: only new ones, each with its record, again when rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.load import file_batches, load_fetch_log_batches
from warehouse.load import network as load

from .test_strategy_health import DAY1, row, two_day_log


def _batch(folder: Path, name: str, frame: pl.DataFrame, *, mtime_ns: int | None = None) -> Path:
    """Write a batch file; ``mtime_ns`` pins its modification time (coarse clocks may not move)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    frame.write_parquet(path, compression="uncompressed")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _one_run(run_id: str) -> pl.DataFrame:
    return pl.DataFrame(
        [row(DAY1, f"user{i}", "web_profile_info", "ok", run_id=run_id) for i in range(3)]
    )


def test_loaded_batches_are_skipped(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "fetch_log"
    paths = [
        _batch(folder, "run-1-0.parquet", two_day_log()),
        _batch(folder, "run-2-0.parquet", _one_run("run-2")),
    ]
    first = load_fetch_log_batches(con, file_batches(paths))
    assert (first.seen, first.loaded, first.rows) == (2, 2, 39 + 3)
    assert _rows(con, "SELECT name, rows FROM fetch_log_batches ORDER BY name") == [
        ("run-1-0.parquet", 39),
        ("run-2-0.parquet", 3),
    ]
    again = load_fetch_log_batches(con, file_batches(paths))
    assert (again.seen, again.loaded, again.rows) == (2, 0, 0)
    paths.append(_batch(folder, "run-3-0.parquet", _one_run("run-3")))
    third = load_fetch_log_batches(con, file_batches(paths))
    assert (third.seen, third.loaded, third.rows) == (3, 1, 3)
    assert _rows(con, "SELECT count(*) FROM fetch_log") == [(39 + 3 + 3,)]


def test_full_reload_loads_every_batch(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = [_batch(tmp_path, "run-1-0.parquet", two_day_log())]
    load_fetch_log_batches(con, file_batches(paths))
    con.execute("DELETE FROM fetch_log")
    assert load_fetch_log_batches(con, file_batches(paths)).loaded == 0
    reloaded = load_fetch_log_batches(con, file_batches(paths), full_reload=True)
    assert (reloaded.loaded, reloaded.rows) == (1, 39)
    assert _rows(con, "SELECT count(*) FROM fetch_log") == [(39,)]
    assert _rows(con, "SELECT count(*) FROM fetch_log_batches") == [(1,)]


def test_crash_mid_batch_records_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [
        _batch(tmp_path, "run-1-0.parquet", _one_run("run-1")),
        _batch(tmp_path, "run-2-0.parquet", _one_run("run-2")),
    ]
    record = load._record_batch
    calls: list[str] = []

    def dies_on_second(con: duckdb.DuckDBPyConnection, name: str, *args: object) -> None:
        calls.append(name)
        if len(calls) == 2:  # the second batch's rows are upserted, its record not yet written
            raise RuntimeError("killed")
        record(con, name, *args)

    monkeypatch.setattr(load, "_record_batch", dies_on_second)
    with pytest.raises(RuntimeError, match="killed"):
        load_fetch_log_batches(con, file_batches(paths))
    # The first batch committed with its record; the second left neither rows nor record.
    assert _rows(con, "SELECT name FROM fetch_log_batches") == [("run-1-0.parquet",)]
    assert _rows(con, "SELECT DISTINCT run_id FROM fetch_log") == [("run-1",)]

    monkeypatch.setattr(load, "_record_batch", record)
    resumed = load_fetch_log_batches(con, file_batches(paths))
    assert (resumed.loaded, resumed.rows) == (1, 3)
    assert _rows(con, "SELECT count(*) FROM fetch_log") == [(6,)]


def test_rewritten_batch_is_loaded_again(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    t0 = 1_780_000_000_000_000_000
    path = _batch(tmp_path, "run-1-0.parquet", _one_run("run-1"), mtime_ns=t0)
    size = path.stat().st_size
    load_fetch_log_batches(con, file_batches([path]))
    # A retried step rewrites its batch: same name, same size, new content and time.
    slower = _one_run("run-1").with_columns(latency_ms=pl.lit(999.0))
    _batch(tmp_path, "run-1-0.parquet", slower, mtime_ns=t0 + 1)
    assert path.stat().st_size == size
    again = load_fetch_log_batches(con, file_batches([path]))
    assert (again.loaded, again.rows) == (1, 3)
    # Upserted by key: the rows are replaced, not doubled.
    assert _rows(con, "SELECT latency_ms, count(*) FROM fetch_log GROUP BY 1") == [(999.0, 3)]
    assert _rows(con, "SELECT modified_ns FROM fetch_log_batches") == [(t0 + 1,)]
    assert load_fetch_log_batches(con, file_batches([path])).loaded == 0


def test_empty_batch_is_recorded(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _batch(tmp_path, "run-1-0.parquet", _one_run("run-1").clear())
    assert load_fetch_log_batches(con, file_batches([path])).loaded == 1
    assert load_fetch_log_batches(con, file_batches([path])).loaded == 0
    assert _rows(con, "SELECT rows FROM fetch_log_batches") == [(0,)]
