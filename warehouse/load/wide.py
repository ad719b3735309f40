"""``posts_wide``, the denormalized table, from the normalized ones.

``posts_wide`` copies each profile's attributes onto every one of its posts, so a load marks
the posts it wrote and the profiles whose copied attributes it changed stale
(:mod:`warehouse.load.changes`), and :func:`refresh_posts_wide` upserts only their rows.
``term_daily`` is kept with it (:mod:`warehouse.load.terms`).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from warehouse.load.changes import record_refresh, staged, strings
from warehouse.load.keys import KEY_LOOKUP_MAX, Keys
from warehouse.load.terms import (
    add_terms,
    delete_rows,
    next_rowid,
    rebuild_term_daily,
    stage_old_terms,
)
from warehouse.load.threads import single_threaded
from warehouse.load.transaction import scalar, transaction


def rebuild_posts_wide(con: duckdb.DuckDBPyConnection) -> int:
    """Tear ``posts_wide`` down and rebuild it from the normalized tables; returns its rows.

    Rows are written in ``taken_at`` order so that time-window queries skip whole row groups.
    """
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TABLE posts_wide AS "
            "SELECT s.*, CAST(coalesce(m.archived, 0) AS INTEGER) AS media_archived "
            "FROM posts_wide_source AS s LEFT JOIN post_media_counts AS m USING (post_id) "
            "ORDER BY taken_at, post_id"
        )
        con.execute("DELETE FROM posts_wide_stale")
        con.execute("DELETE FROM posts_wide_stale_posts")
        rebuild_term_daily(con)
        record_refresh(con, "posts_wide", full=True)
        return scalar(con, "SELECT count(*) FROM posts_wide")


# Above this many changed posts the refresh rebuilds the table whole: the macro's id list is
# matched row by row, and that many changes are most of a warehouse's day anyway.
MAX_INCREMENTAL_POSTS = 5000

# The new posts_wide rows of the posts at rowids $rows of posts, whose ids are $ids;
# media_archived as the rebuild computes it.
_NEW_ROWS = """
    INSERT INTO posts_wide BY NAME
    SELECT s.*, CAST(coalesce(m.archived, 0) AS INTEGER) AS media_archived
    FROM posts_wide_rows($rows) AS s
    LEFT JOIN (SELECT * FROM post_media_counts WHERE list_contains($ids, post_id)) AS m
    USING (post_id)
"""


def _insert_rows(con: duckdb.DuckDBPyConnection, targets: Keys) -> None:
    """Insert the posts_wide rows of the post ids ``targets`` (deleted first by the caller):
    one scan of posts' key column finds their rowids, and the rows are fetched by those."""
    where, params = targets.among("post_id")
    found = con.execute(
        "SELECT list(post_id), list(rowid) FROM posts "  # noqa: S608 - Keys' condition
        f"WHERE rowid IN (SELECT rowid FROM posts WHERE {where})",
        params,
    ).fetchall()
    ids, rows = found[0]
    if rows:
        con.execute(_NEW_ROWS, {"ids": ids, "rows": rows})


def _find_rows(con: duckdb.DuckDBPyConnection, posts: Keys, owners: Keys) -> None:
    """``_wide_rows``: the rowid and post id of every row the refresh rewrites, the marked
    posts' (``marked``) and the marked profiles' other rows. One scan of the two key columns
    finds both; the rows are then read and deleted by rowid."""
    of_post, params = posts.among("post_id")
    of_owner, owner_params = owners.among("owner_id", "owners")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _wide_rows AS "  # noqa: S608 - Keys' conditions
        f"SELECT rowid AS row_id, post_id, coalesce({of_post}, false) AS marked "
        "FROM posts_wide WHERE rowid IN "
        f"(SELECT rowid FROM posts_wide WHERE {of_post} OR {of_owner})",
        {**params, **owner_params},
    )


def _rewrite_rows(con: duckdb.DuckDBPyConnection, posts: Keys, ids: list[str]) -> None:
    """Replace the rows ``_find_rows`` found with ``posts_wide_rows``' (the marked posts'
    ``ids`` included, found or not), fold the marked posts' terms in, and list every post
    written in ``_wide_written`` (``_wide_ids`` and ``_wide_rows``).

    The marked profiles' other rows are rewritten from ``posts`` too, rather than updated in
    place or copied from posts_wide: posts_wide is sorted by ``taken_at``, so a profile's
    rows are spread over the whole table, and an UPDATE of them made the step's checkpoint
    rewrite the updated columns of every row group they touch, while reading them back
    decoded most of the table; in ``posts`` a profile's posts sit together, as they were
    loaded. The rewritten rows land at the end of posts_wide, as the marked posts do, until
    the daily rebuild sorts them back. Their terms are unchanged (a post whose caption
    changed is marked), so only the marked posts' are folded.
    """
    stage_old_terms(con, "rowid IN (SELECT row_id FROM _wide_rows WHERE marked)", {})
    con.execute("DELETE FROM posts_wide WHERE rowid IN (SELECT row_id FROM _wide_rows)")
    first = next_rowid(con)
    found = [r[0] for r in con.execute("SELECT post_id FROM _wide_rows").fetchall()]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _wide_written AS "
        "SELECT post_id FROM _wide_ids UNION SELECT post_id FROM _wide_rows"
    )
    _insert_rows(con, Keys.of("_wide_written", values=[*ids, *found]))
    add_terms(con, posts, first)


def refresh_posts_wide(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Bring ``posts_wide`` up to what the loads marked; returns (profiles, rows written).

    The marked posts' rows are rewritten from ``posts_wide_rows`` (they sit at the end of
    ``posts``, where the load appended them), and so are the marked profiles' other rows,
    with the profiles' new attributes. Neither reads posts nobody changed: a few posts and
    profiles are bound as lists, matched against posts_wide's key columns in one scan, and
    the rows found are then read and deleted by rowid (:mod:`warehouse.load.keys`; the load
    appends each profile's posts together, so a profile's rows in posts sit in a few
    vectors), on one DuckDB thread when few (:mod:`warehouse.load.threads`). The marks are cleared
    in the same transaction. An empty posts_wide, or a change of more than
    :data:`MAX_INCREMENTAL_POSTS` posts, is rebuilt whole instead.
    """
    ids = [
        r[0] for r in con.execute("SELECT DISTINCT post_id FROM posts_wide_stale_posts").fetchall()
    ]
    empty = scalar(con, "SELECT count(*) FROM posts_wide") == 0
    if empty or len(ids) > MAX_INCREMENTAL_POSTS:
        rows = rebuild_posts_wide(con)
        profiles = scalar(con, "SELECT count(DISTINCT owner_username) FROM posts_wide")
        return int(profiles), rows  # type: ignore[arg-type]
    names = [r[0] for r in con.execute("SELECT username FROM posts_wide_stale").fetchall()]
    if not ids and not names:
        return 0, 0
    by_key = len(ids) <= KEY_LOOKUP_MAX
    with (
        single_threaded(con, when=by_key),
        transaction(con),
        staged(con, "_wide_ids", strings("post_id", ids)),
    ):
        with staged(con, "_wide_names", strings("username", names)):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _wide_owners AS "
                "SELECT id FROM profiles WHERE username IN (SELECT username FROM _wide_names)"
            )
        owner_ids = [r[0] for r in con.execute("SELECT id FROM _wide_owners").fetchall()]
        posts = Keys.of("_wide_ids", values=ids)
        owners = Keys.of("_wide_owners", "id", owner_ids)
        _find_rows(con, posts, owners)
        _rewrite_rows(con, posts, ids)
        written = int(scalar(con, "SELECT count(*) FROM _wide_written"))  # type: ignore[arg-type]
        record_refresh(con, "posts_wide", full=False, written="_wide_written")
        con.execute("DELETE FROM posts_wide_stale_posts")
        con.execute("DELETE FROM posts_wide_stale")
        con.execute("DROP TABLE _wide_owners; DROP TABLE _wide_rows; DROP TABLE _wide_written")
    return len(names), written


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
                """
            )
            targets = Keys.of("_wide_targets")
            first = delete_rows(con, targets)
            _insert_rows(con, targets)
            add_terms(con, targets, first)
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
