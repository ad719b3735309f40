"""``posts_wide``, the denormalized table, from the normalized ones.

``posts_wide`` copies each profile's attributes onto every one of its posts, so a load marks
the profiles it touched stale (:func:`warehouse.load.changes.mark_changed`) and
:func:`refresh_posts_wide` upserts only their rows. ``term_daily`` is kept with it
(:mod:`warehouse.load.terms`).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from warehouse.load.changes import record_refresh, staged, strings
from warehouse.load.keys import Keys
from warehouse.load.terms import add_terms, delete_rows, rebuild_term_daily
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

# The profile columns every posts_wide row copies (posts_wide_source in the schema).
_OWNER_COLUMNS = """
    owner_full_name = pr.full_name,
    owner_followers = pr.followers,
    owner_following = pr.following,
    owner_post_count = pr.post_count,
    owner_is_verified = pr.is_verified,
    owner_is_private = pr.is_private,
    owner_is_business = pr.is_business_account,
    owner_category = pr.category_name,
    engagement_rate = CASE WHEN pr.followers > 0
        THEN (coalesce(posts_wide.like_count, 0) + coalesce(posts_wide.comment_count, 0))
             / pr.followers END
"""

# The new posts_wide rows of the posts whose ids are bound as $ids, the first of them at
# rowid $first in posts; media_archived as the rebuild computes it.
_NEW_ROWS = """
    INSERT INTO posts_wide BY NAME
    SELECT s.*, CAST(coalesce(m.archived, 0) AS INTEGER) AS media_archived
    FROM posts_wide_rows($ids, $first) AS s
    LEFT JOIN (SELECT * FROM post_media_counts WHERE list_contains($ids, post_id)) AS m
    USING (post_id)
"""


def _insert_rows(con: duckdb.DuckDBPyConnection, targets: Keys) -> None:
    """Insert the posts_wide rows of the post ids ``targets`` (deleted first by the caller),
    reading ``posts`` only from the first row group that holds one of them."""
    where, params = targets.among("post_id")
    found = con.execute(
        f"SELECT list(post_id), min(rowid) FROM posts WHERE {where}",  # noqa: S608 - Keys'
        params,
    ).fetchall()
    ids, first_row = found[0]
    if first_row is not None:
        con.execute(_NEW_ROWS, {"ids": ids, "first": first_row})


def _update_owners(con: duckdb.DuckDBPyConnection) -> None:
    """Copy the attributes of the profiles in ``_wide_owners`` onto their other posts_wide
    rows (those of ``_wide_ids`` were just rewritten), and list both in ``_wide_written``.

    The profiles are bound as a list, a filter inside the scan of ``owner_id``; the rows
    just inserted are left out (updating them again cost 5x the whole UPDATE, as did
    ``RETURNING``).
    """
    owner_ids = [r[0] for r in con.execute("SELECT id FROM _wide_owners").fetchall()]
    owners = Keys.of("_wide_owners", "id", owner_ids)
    of_profile, params = owners.among("id", "owners")
    of_owner, _ = owners.among("owner_id", "owners")
    con.execute(
        f"UPDATE posts_wide SET {_OWNER_COLUMNS} "  # noqa: S608 - constant and Keys' condition
        f"FROM (SELECT * FROM profiles WHERE {of_profile}) AS pr "
        "WHERE posts_wide.owner_id = pr.id "
        "AND posts_wide.post_id NOT IN (SELECT post_id FROM _wide_ids)",
        params,
    )
    written = (
        "CREATE OR REPLACE TEMP TABLE _wide_written AS "  # noqa: S608 - Keys' condition
        f"SELECT post_id FROM _wide_ids UNION SELECT post_id FROM posts_wide WHERE {of_owner}"
    )
    con.execute(written, params)


def refresh_posts_wide(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Bring ``posts_wide`` up to what the loads marked; returns (profiles, rows written).

    The marked posts' rows are rewritten from ``posts_wide_rows`` (they sit at the end of
    ``posts``, where the load appended them); the marked profiles' attributes are updated
    in place on the rest of their rows. Neither reads posts nobody changed: a few posts and
    profiles are bound as lists, filters inside the scans of the key columns
    (:mod:`warehouse.load.keys`). The marks are cleared in the same transaction. An empty
    posts_wide, or a change of more than :data:`MAX_INCREMENTAL_POSTS` posts, is rebuilt
    whole instead.
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
    with transaction(con), staged(con, "_wide_ids", strings("post_id", ids)):
        with staged(con, "_wide_names", strings("username", names)):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _wide_owners AS "
                "SELECT id FROM profiles WHERE username IN (SELECT username FROM _wide_names)"
            )
        posts = Keys.of("_wide_ids", values=ids)
        first = delete_rows(con, posts)
        _insert_rows(con, posts)
        add_terms(con, posts, first)
        _update_owners(con)
        written = int(scalar(con, "SELECT count(*) FROM _wide_written"))  # type: ignore[arg-type]
        record_refresh(con, "posts_wide", full=False, written="_wide_written")
        con.execute("DELETE FROM posts_wide_stale_posts")
        con.execute("DELETE FROM posts_wide_stale")
        con.execute("DROP TABLE _wide_owners; DROP TABLE _wide_written")
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
