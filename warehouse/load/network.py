"""The network side's logs: every request made (``fetch_log``) and every IP the modem had
(``ip_log``), upserted by key from frames that may be missing columns (old batches)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

from warehouse.contract import (
    FETCH_LOG_KEY,
    FETCH_LOG_SCHEMA,
    IP_LOG_KEY,
    IP_LOG_SCHEMA,
    ONLY_ROUTE,
)
from warehouse.load.transaction import transaction


def _conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Exactly ``schema``'s columns: missing ones null, extra ones dropped, types cast."""
    exprs = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif isinstance(dtype, pl.Datetime) and frame.schema[name] == pl.String:
            exprs.append(pl.col(name).str.to_datetime(time_zone="UTC").cast(dtype))
        elif isinstance(dtype, pl.Datetime) and getattr(frame.schema[name], "time_zone", 1) is None:
            exprs.append(pl.col(name).dt.replace_time_zone("UTC").cast(dtype))  # naive = UTC
        else:
            exprs.append(pl.col(name).cast(dtype, strict=False))
    return frame.select(exprs)


def _load_keyed(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: pl.Schema,
    key: Sequence[str],
) -> int:
    """Delete + insert by key; the caller holds the transaction, so that a batch's record can
    commit with its rows (DuckDB cannot nest transactions: a second BEGIN aborts the first)."""
    staged = _conform(frame, schema).unique(list(key), keep="last", maintain_order=True)
    if staged.height == 0:
        return 0
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    con.register("_stage_keyed", staged.to_arrow())
    try:
        con.execute(f"DELETE FROM {table} AS t USING _stage_keyed AS s WHERE {match}")  # noqa: S608
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _stage_keyed")  # noqa: S608
    finally:
        con.unregister("_stage_keyed")
    return staged.height


def fetch_log_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A request-log batch in ``FETCH_LOG_SCHEMA``, old batches given the new columns' values.

    Request logs on disk stay there for ever, and those without ``kind``/``session`` must load
    like the rest: such a log knows one page endpoint, ``timeline``, so ``kind`` follows from
    the endpoint, and it has no logged-in requests, so ``session`` is false; one without
    ``route`` went through the one modem there was. Migrations 006 and 013 apply the same
    rules to rows already in the warehouse, so both paths agree.
    """
    conformed = _conform(frame, FETCH_LOG_SCHEMA)
    return conformed.with_columns(
        kind=pl.coalesce(
            pl.col("kind"),
            pl.when(pl.col("endpoint") == "timeline")
            .then(pl.lit("page"))
            .otherwise(pl.lit("profile")),
        ),
        session=pl.col("session").fill_null(False),
        route=pl.col("route").fill_null(ONLY_ROUTE),
    )


def load_fetch_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert request-log rows by (run_id, username, requested_at, attempt); returns rows staged.

    Missing columns load as null, except ``kind`` and ``session`` (see :func:`fetch_log_frame`);
    extra keys are ignored; naive timestamps are taken as UTC.
    """
    with transaction(con):
        return _upsert_fetch_log(con, frame)


def _upsert_fetch_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """:func:`load_fetch_log` inside the caller's transaction."""
    return _load_keyed(con, "fetch_log", fetch_log_frame(frame), FETCH_LOG_SCHEMA, FETCH_LOG_KEY)


@dataclass(frozen=True)
class BatchLoadStats:
    """What one :func:`load_fetch_log_batches` call did."""

    seen: int = 0  # batch files given
    loaded: int = 0  # batch files loaded by this call (new, changed, or all on a full reload)
    rows: int = 0  # rows upserted from them


class LogBatch(Protocol):
    """A request-log batch as its store lists it: the key it is read by, its size and its
    modification time (ns), the fingerprint a rewrite changes."""

    @property
    def key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def modified_ns(self) -> int: ...


@dataclass(frozen=True)
class FileBatch:
    """A batch in a local file; ``key`` is its path."""

    key: str
    size: int
    modified_ns: int


def file_batches(paths: Sequence[Path]) -> list[FileBatch]:
    """Batches of local files, stated now (before they are read)."""
    stats = ((path, path.stat()) for path in paths)
    return [FileBatch(str(path), stat.st_size, stat.st_mtime_ns) for path, stat in stats]


def _read_file(key: str) -> bytes:
    return Path(key).read_bytes()


def load_fetch_log_batches(
    con: duckdb.DuckDBPyConnection,
    batches: Sequence[LogBatch],
    read: Callable[[str], bytes] = _read_file,
    *,
    full_reload: bool = False,
) -> BatchLoadStats:
    """Upsert the request-log batches not loaded before, and record each one loaded.

    ``fetch_log_batches`` remembers what was loaded (by the batch's file name), so the step
    costs what is new, not the whole history. Each batch commits with its record in
    one transaction, so a run that dies keeps the batches before it and never records one
    whose rows are missing. A batch whose size or modification time changed since (a
    retried step rewrote it) is loaded again: the upsert by key makes that safe. A batch
    recorded but gone from ``batches`` is left alone. ``full_reload`` loads every batch.
    ``read`` gives a batch's bytes by key (a local file by default; the raw store's
    ``read_log`` for a bucket). The listing states each batch before it is read, so a
    rewrite in between looks changed next time rather than loaded.
    """
    known = {
        name: (size, modified)
        for name, size, modified in con.execute(
            "SELECT name, bytes, modified_ns FROM fetch_log_batches"
        ).fetchall()
    }
    loaded = rows = 0
    for batch in batches:
        name = batch.key.rsplit("/", 1)[-1]
        fingerprint = (batch.size, batch.modified_ns)
        if not full_reload and known.get(name) == fingerprint:
            continue
        frame = pl.read_parquet(io.BytesIO(read(batch.key)))
        with transaction(con):
            written = _upsert_fetch_log(con, frame)
            _record_batch(con, name, fingerprint, written)
        loaded += 1
        rows += written
    return BatchLoadStats(seen=len(batches), loaded=loaded, rows=rows)


def _record_batch(
    con: duckdb.DuckDBPyConnection, name: str, fingerprint: tuple[int, int], rows: int
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO fetch_log_batches (name, bytes, modified_ns, rows, loaded_at) "
        "VALUES ($name, $bytes, $modified_ns, $rows, current_timestamp)",
        {"name": name, "bytes": fingerprint[0], "modified_ns": fingerprint[1], "rows": rows},
    )


def load_ip_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert the modem's IP sightings by (ip, seen_at); returns rows staged.

    ``seen_as`` is the modem's label of each sighting (see ``schema/010_ip_log_seen_as.sql``),
    stored as given: a frame without it (a modem service that does not label) loads it as
    null, which ``ip_ranges`` counts as unknown rather than guessing from the rows it holds.
    """
    if "route" not in frame.columns:
        frame = frame.with_columns(route=pl.lit(ONLY_ROUTE))
    with transaction(con):
        return _load_keyed(con, "ip_log", frame, IP_LOG_SCHEMA, IP_LOG_KEY)
