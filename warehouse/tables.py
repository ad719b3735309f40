"""Tables replaced whole from a frame: the derived tables the network assets own.

Their names are fixed here and checked on every call, so a name can never come from input
and be spliced into the SQL.
"""

from __future__ import annotations

import duckdb
import polars as pl

DERIVED_TABLES = frozenset({"fetch_stats", "ip_ranges", "rate_limit_experiment"})


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace ``table`` with ``frame`` in one statement (readers see old or new, never half)."""
    if table not in DERIVED_TABLES:
        raise ValueError(f"{table!r} is not a table these assets own")
    con.register("_incoming", frame.to_arrow())
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _incoming")  # noqa: S608
    finally:
        con.unregister("_incoming")
