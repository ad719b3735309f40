"""What changed since the derived tables were last refreshed, and what their refresh wrote.

The posts load calls :func:`mark_changed` inside its own transaction, so a committed load is
always marked (a mark recorded after the commit could be lost to a crash in between). The
refreshes of ``hashtag_daily`` and ``posts_wide`` read the marks, fold in what changed and
clear them; :func:`record_refresh` leaves behind which posts they wrote, so the asset checks
can look at those rows only (and at every row after a full rebuild).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import duckdb
import polars as pl

# The derived tables whose refreshes are logged; a name outside it never reaches the SQL.
REFRESHED_TABLES = frozenset({"hashtag_daily", "posts_wide"})


@contextmanager
def staged(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[str]:
    """``frame`` visible to SQL as ``name`` for the duration of the block."""
    con.register(name, frame.to_arrow())
    try:
        yield name
    finally:
        con.unregister(name)


def strings(column: str, values: Iterable[str | None]) -> pl.DataFrame:
    """One string column, nulls and repeats dropped, sorted (a stable staging frame)."""
    return pl.DataFrame(
        {column: sorted({v for v in values if v is not None})}, schema={column: pl.String}
    )


def mark_changed(
    con: duckdb.DuckDBPyConnection, post_ids: Iterable[str], usernames: Iterable[str]
) -> None:
    """Mark posts for the ``hashtag_daily`` and ``posts_wide`` refreshes, and profiles (whose
    attributes every posts_wide row of theirs copies) for the ``posts_wide`` one.

    Call it inside the transaction that writes them. Every post of a batch may be marked,
    winners or not: a post whose rows did not change folds in a zero difference. A post
    marked by two loads before a refresh is marked twice: the refreshes read the marks
    DISTINCT, and skipping the marks already there meant scanning them for every batch, a
    cost that grew with the load (5 s of a first load of 1M posts, a fifth of its merge).
    """
    with staged(con, "_changed_posts", strings("post_id", post_ids)):
        con.execute(
            """
            INSERT INTO hashtag_daily_stale (post_id) SELECT post_id FROM _changed_posts;
            INSERT INTO posts_wide_stale_posts (post_id) SELECT post_id FROM _changed_posts;
            """
        )
    mark_posts_wide_stale(con, usernames)


def mark_posts_wide_stale(con: duckdb.DuckDBPyConnection, usernames: Iterable[str]) -> int:
    """Record that these profiles' posts_wide rows must be refreshed; returns how many."""
    names = strings("username", usernames)
    with staged(con, "_stale", names):
        con.execute(
            "INSERT INTO posts_wide_stale (username) SELECT username FROM _stale "
            "ON CONFLICT (username) DO NOTHING"
        )
    return names.height


def record_refresh(
    con: duckdb.DuckDBPyConnection, table: str, *, full: bool, written: str | None = None
) -> None:
    """Log how ``table`` was refreshed; ``written`` names a relation of the post ids an
    incremental refresh wrote (a temp table of the caller). Inside the refresh's transaction."""
    if table not in REFRESHED_TABLES:
        raise ValueError(f"{table!r} is not a refreshed table")
    if written is not None and not written.isidentifier():
        raise ValueError(f"{written!r} is not a relation name")
    con.execute("DELETE FROM refresh_log WHERE table_name = $t", {"t": table})
    con.execute(
        "INSERT INTO refresh_log VALUES ($t, $full, current_timestamp)", {"t": table, "full": full}
    )
    con.execute("DELETE FROM refresh_log_posts WHERE table_name = $t", {"t": table})
    if written is not None and not full:
        con.execute(
            f"INSERT INTO refresh_log_posts SELECT DISTINCT $t, post_id FROM {written}",  # noqa: S608 - a temp table name of the caller
            {"t": table},
        )
