"""One transaction per load, and the one-value query every load step reads counts with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any exception (a killed load leaves nothing behind)."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """First value of a one-row query, with the result fully consumed (DuckDB 2 insists)."""
    return con.execute(sql).fetchall()[0][0]
