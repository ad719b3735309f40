"""``posts_wide``, the denormalized table, from the normalized ones.

``posts_wide`` copies each profile's attributes onto every one of its posts, so a load marks
the profiles it touched stale (:func:`warehouse.load.changes.mark_changed`) and
:func:`refresh_posts_wide` upserts only their rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from warehouse.load.changes import record_refresh, staged, strings
from warehouse.load.transaction import scalar, transaction


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
        record_refresh(con, "posts_wide", full=True)
        return scalar(con, "SELECT count(*) FROM posts_wide")


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
    with staged(con, "_done", strings("username", stale)):
        con.execute("DELETE FROM posts_wide_stale WHERE username IN (SELECT username FROM _done)")
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
            record_refresh(con, "posts_wide", full=False, written="_wide_targets")
            con.execute("DROP TABLE _wide_targets")
        finally:
            con.unregister("_wide_ids")
            con.unregister("_wide_names")
    return written
