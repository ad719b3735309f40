"""The tables derived from the normalized ones: ``hashtag_daily`` and ``posts_wide``.

``posts_wide`` copies each profile's attributes onto every one of its posts, so a load marks
the profiles it touched stale and :func:`refresh_posts_wide` upserts only their rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from warehouse.load.transaction import scalar, transaction


def refresh_hashtag_daily(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``hashtag_daily`` from ``post_hashtags`` × ``posts``; returns its row count.

    Posts without ``taken_at`` have no day and are left out.
    """
    with transaction(con):
        con.execute(
            """
            DELETE FROM hashtag_daily;
            INSERT INTO hashtag_daily BY NAME
            SELECT h.tag_norm,
                   CAST(timezone('UTC', p.taken_at) AS DATE) AS day,
                   count(DISTINCT h.post_id) AS posts,
                   count(*) AS uses
            FROM post_hashtags AS h JOIN posts AS p ON p.post_id = h.post_id
            WHERE p.taken_at IS NOT NULL
            GROUP BY ALL;
            """
        )
        return scalar(con, "SELECT count(*) FROM hashtag_daily")


def rebuild_posts_wide(con: duckdb.DuckDBPyConnection) -> int:
    """Tear ``posts_wide`` down and rebuild it from the normalized tables; returns its rows.

    Rows are written in ``taken_at`` order so that time-window queries skip whole row groups.
    """
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TABLE posts_wide AS "
            "SELECT * FROM posts_wide_source ORDER BY taken_at, post_id"
        )
        con.execute("DELETE FROM posts_wide_stale")
        return scalar(con, "SELECT count(*) FROM posts_wide")


def mark_posts_wide_stale(con: duckdb.DuckDBPyConnection, usernames: Iterable[str]) -> int:
    """Record that these profiles' posts_wide rows must be refreshed."""
    names = pl.DataFrame({"username": sorted(set(usernames))}, schema={"username": pl.String})
    con.register("_stale", names.to_arrow())
    try:
        con.execute(
            "INSERT INTO posts_wide_stale (username) SELECT username FROM _stale "
            "ON CONFLICT (username) DO NOTHING"
        )
    finally:
        con.unregister("_stale")
    return names.height


def refresh_posts_wide(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Upsert the posts_wide rows of the stale profiles and clear them: (profiles, rows).

    The marks are cleared after the upsert commits; a crash in between only repeats an
    idempotent upsert next time. An empty posts_wide is rebuilt whole instead.
    """
    if scalar(con, "SELECT count(*) FROM posts_wide") == 0:
        rows = rebuild_posts_wide(con)
        profiles = scalar(con, "SELECT count(DISTINCT owner_username) FROM posts_wide")
        return int(profiles), rows  # type: ignore[arg-type]
    stale = [r[0] for r in con.execute("SELECT username FROM posts_wide_stale").fetchall()]
    if not stale:
        return 0, 0
    rows = upsert_posts_wide(con, usernames=stale)
    names = pl.DataFrame({"username": stale}, schema={"username": pl.String})
    con.register("_done", names.to_arrow())
    try:
        con.execute("DELETE FROM posts_wide_stale WHERE username IN (SELECT username FROM _done)")
    finally:
        con.unregister("_done")
    return len(stale), rows


def upsert_posts_wide(
    con: duckdb.DuckDBPyConnection,
    post_ids: Iterable[str] | None = None,
    *,
    usernames: Iterable[str] | None = None,
) -> int:
    """Refresh the ``posts_wide`` rows of some posts, or of every post of some profiles.

    Use ``usernames`` after a profile's attributes changed (they are copied on every post).
    Returns the number of rows written.
    """
    ids = pl.DataFrame({"post_id": list(post_ids or [])}, schema={"post_id": pl.String})
    names = pl.DataFrame({"username": list(usernames or [])}, schema={"username": pl.String})
    with transaction(con):
        con.register("_wide_ids", ids.to_arrow())
        con.register("_wide_names", names.to_arrow())
        try:
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _wide_targets AS
                SELECT post_id FROM _wide_ids
                UNION
                SELECT post_id FROM posts
                WHERE owner_username IN (SELECT username FROM _wide_names)
                UNION
                SELECT post_id FROM posts_wide
                WHERE owner_username IN (SELECT username FROM _wide_names);
                DELETE FROM posts_wide WHERE post_id IN (SELECT post_id FROM _wide_targets);
                INSERT INTO posts_wide BY NAME
                SELECT * FROM posts_wide_source
                WHERE post_id IN (SELECT post_id FROM _wide_targets);
                """
            )
            written = scalar(
                con,
                "SELECT count(*) FROM posts_wide "
                "WHERE post_id IN (SELECT post_id FROM _wide_targets)",
            )
            con.execute("DROP TABLE _wide_targets")
        finally:
            con.unregister("_wide_ids")
            con.unregister("_wide_names")
    return written
