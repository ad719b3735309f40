"""What changed since the derived tables were last refreshed, and what their refresh wrote.

The posts load marks what it writes inside its own transaction, so a committed load is
always marked (a mark recorded after the commit could be lost to a crash in between). A
mark for ``hashtag_daily`` also keeps what ``posts`` held of the post when it was marked
(schema/018): the refresh subtracts that from the counts, so it must be written BEFORE the
post changes, as the load does. The refreshes of ``hashtag_daily`` and ``posts_wide`` read
the marks, fold in what changed and clear them; :func:`record_refresh` leaves behind which
posts they wrote, so the asset checks can look at those rows only (and at every row after a
full rebuild).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import duckdb
import polars as pl

from warehouse.load.keys import Keys

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

    Call it inside the transaction that changes them, before changing them (a purge by hand
    included): each mark keeps the post's state in ``posts`` as it is now. Every post of a
    batch may be marked, changed or not: a post whose rows did not change folds in a zero
    difference. The load marks through :func:`mark_posts`, with the state it already read.
    """
    marked = strings("post_id", post_ids)
    with staged(con, "_changed_posts", marked):
        keys = Keys.of("_changed_posts", values=marked.get_column("post_id"))
        where, params = keys.among("post_id")
        con.execute(  # rowids from the key column, then those rows' lists (load.keys)
            "CREATE OR REPLACE TEMP TABLE _changed_state AS "  # noqa: S608 - constant conditions
            "SELECT post_id, taken_at, hashtags_norm FROM posts "
            f"WHERE rowid IN (SELECT rowid FROM posts WHERE {where})",
            params,
        )
        mark_posts(con, "_changed_posts", "_changed_state")
        con.execute("DROP TABLE _changed_state")
    mark_posts_wide_stale(con, usernames)


def mark_posts(con: duckdb.DuckDBPyConnection, marked: str, state: str | None) -> None:
    """Mark the posts listed in relation ``marked`` (a ``post_id`` column) for both
    refreshes; ``state`` names a relation of what ``posts`` holds of those of them it holds
    (``post_id``, ``taken_at``, ``hashtags_norm``), read in the caller's transaction before
    any of them changes, or is None when it holds none of them.

    A post marked by two loads before a refresh is marked twice: the refresh takes each
    post's first mark (``mark`` increases from one call to the next), and skipping the marks
    already there meant scanning them for every batch, a cost that grew with the load (5 s
    of a first load of 1M posts, a fifth of its merge).
    """
    if not (marked.isidentifier() and (state is None or state.isidentifier())):
        raise ValueError(f"{marked!r} or {state!r} is not a relation name")
    mark = con.execute("SELECT nextval('hashtag_daily_mark')").fetchall()[0][0]
    if state is None:
        con.execute(
            "INSERT INTO hashtag_daily_stale (post_id, mark, held) "  # noqa: S608 - checked
            f"SELECT DISTINCT post_id, $mark, false FROM {marked}",
            {"mark": mark},
        )
    else:
        con.execute(
            f"""
            INSERT INTO hashtag_daily_stale (post_id, mark, held, old_day, old_tags)
            SELECT m.post_id, $mark, o.post_id IS NOT NULL,
                   CAST(timezone('UTC', o.taken_at) AS DATE), o.hashtags_norm
            FROM (SELECT DISTINCT post_id FROM {marked}) AS m
            LEFT JOIN {state} AS o USING (post_id)
            """,  # noqa: S608 - relation names checked above
            {"mark": mark},
        )
    con.execute(
        "INSERT INTO posts_wide_stale_posts (post_id) "  # noqa: S608 - checked above
        f"SELECT DISTINCT post_id FROM {marked}"
    )


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
