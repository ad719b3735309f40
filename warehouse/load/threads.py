"""How many DuckDB threads an update's statements run on: one.

DuckDB parallelises a scan by row group, a thread each. The statements of an update (a few
profiles loaded, the derived tables refreshed for them, their rows checked) read the few
vectors a key lookup found, so a second thread has almost nothing to share: it only adds its
own start, in the fresh connection every step opens, and its own cold reads of the row
groups it takes. A table of one row group (up to 122,880 rows: the 50,000 posts of 1,000
profiles of 50) never starts a second thread, which made an update look cheaper in a small
warehouse than in a larger one. Measured with ``benchmarks/incremental.py`` (10 profiles,
4,000 profiles of 50 posts, old and new alternated): 0.82-0.95x the CPU time, the wall time
unchanged. Work over whole tables (rebuilds, bulk loads, full checks) keeps every thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from warehouse.load.transaction import scalar


@contextmanager
def single_threaded(con: duckdb.DuckDBPyConnection, when: bool = True) -> Iterator[None]:
    """Run the block on one DuckDB thread (``when`` false: leave the setting alone), then
    restore the setting as it was, on error too. ``threads`` is the database's setting, not
    the connection's: every connection to the same file in this process sees the change
    while the block runs."""
    if not when:
        yield
        return
    previous = int(scalar(con, "SELECT current_setting('threads')"))  # type: ignore[call-overload]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {previous}")
