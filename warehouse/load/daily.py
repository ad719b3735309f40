"""``hashtag_daily``: hashtag × UTC day counts, kept up to date by differences.

A refresh takes the posts the loads marked (``hashtag_daily_stale``), subtracts what each
contributed when first marked (its day and normalised tags then, which the mark keeps:
schema/018), adds what ``posts`` holds of it now, and rewrites only the (tag, day) keys that
moved. Its cost follows the posts changed, not the warehouse: no day is rescanned, and no
table of every post's contribution is kept or searched. An edited caption's dropped tags, a
post moved to another day and a post gone from ``posts`` all come out of the subtraction.
:func:`rebuild_hashtag_daily` recomputes the table from scratch (the daily rebuild, the
first refresh, and one after marks that predate their state).
"""

from __future__ import annotations

import duckdb

from warehouse.load.changes import record_refresh
from warehouse.load.keys import KEY_LOOKUP_MAX, Keys, lookup_ids
from warehouse.load.threads import single_threaded
from warehouse.load.transaction import scalar, transaction

# What each post contributes: one row per post and normalised tag, its UTC day and its uses,
# from posts' own lists (post_hashtags is a view of them). Posts without taken_at have no
# day and are left out. ``{only}``: a further condition on the posts rows, or nothing.
_CONTRIBUTIONS = """
    SELECT post_id, tag_norm, day, count(*) AS uses
    FROM (
        SELECT post_id, unnest(hashtags_norm) AS tag_norm,
               CAST(timezone('UTC', taken_at) AS DATE) AS day
        FROM posts WHERE taken_at IS NOT NULL {only}
    )
    GROUP BY ALL
"""

# What the marked posts contribute now, by the rowids the fold found in posts (``_hd_rows``).
_NOW = _CONTRIBUTIONS.format(only="AND rowid IN (SELECT row_id FROM _hd_rows)")

# The marked posts' old contributions out, their new ones in, the (tag, day) keys that moved
# rewritten. One statement per item, so that each can take the ids as a parameter.
_FOLD = [
    # Each post's first mark since the last refresh: what hashtag_daily holds of it.
    """
    CREATE OR REPLACE TEMP TABLE _hd_marks AS
    SELECT DISTINCT ON (post_id) post_id, held, old_day, old_tags
    FROM hashtag_daily_stale ORDER BY post_id, mark
    """,
    "CREATE OR REPLACE TEMP TABLE _hd_ids AS SELECT post_id FROM _hd_marks",
    # What posts holds now: rowids first, from the one column the list is matched against,
    # then those rows' lists alone. ``{in_ids}``: the marked posts (``_hd_ids``), as a join,
    # or as a bound list when few enough (warehouse.load.keys).
    "CREATE OR REPLACE TEMP TABLE _hd_rows AS SELECT rowid AS row_id FROM posts WHERE {in_ids}",
    f"""
    CREATE OR REPLACE TEMP TABLE _hd_delta AS
    SELECT tag_norm, day, sum(posts) AS posts, sum(uses) AS uses
    FROM (
        SELECT tag_norm, day, -1 AS posts, -count(*) AS uses
        FROM (SELECT post_id, unnest(old_tags) AS tag_norm, old_day AS day
              FROM _hd_marks WHERE held AND old_day IS NOT NULL)
        GROUP BY post_id, tag_norm, day
        UNION ALL
        SELECT tag_norm, day, 1 AS posts, uses
        FROM ({_NOW})
    )
    GROUP BY ALL
    HAVING sum(posts) <> 0 OR sum(uses) <> 0
    """,  # noqa: S608 - constant SQL
    """
    CREATE OR REPLACE TEMP TABLE _hd_merged AS
    SELECT o.rowid AS row_id, d.tag_norm, d.day,
           coalesce(o.posts, 0) + d.posts AS posts, coalesce(o.uses, 0) + d.uses AS uses
    FROM _hd_delta AS d
    LEFT JOIN hashtag_daily AS o ON o.tag_norm = d.tag_norm AND o.day = d.day
    """,
    # By the rowids the join found: one scan of hashtag_daily, not two.
    "DELETE FROM hashtag_daily WHERE rowid IN (SELECT row_id FROM _hd_merged)",
    "INSERT INTO hashtag_daily BY NAME SELECT * EXCLUDE (row_id) FROM _hd_merged WHERE posts > 0",
    "DELETE FROM hashtag_daily_stale",
]


def _fold(con: duckdb.DuckDBPyConnection, ids: list[str] | None) -> None:
    """Run :data:`_FOLD`, by key lookups when ``ids`` lists the marked posts."""
    in_ids, params = Keys.of("_hd_ids", values=ids).among("post_id")
    for statement in _FOLD:
        if "{in_ids}" in statement:
            con.execute(statement.format(in_ids=in_ids), params or None)
        else:
            con.execute(statement)


def rebuild_hashtag_daily(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``hashtag_daily`` from ``posts``' lists of tags; clears the marks. Returns
    its row count."""
    with transaction(con):
        con.execute(
            f"""
            DELETE FROM hashtag_daily;
            INSERT INTO hashtag_daily BY NAME
            SELECT tag_norm, day, count(*) AS posts, sum(uses) AS uses
            FROM ({_CONTRIBUTIONS.format(only="")}) GROUP BY ALL;
            DELETE FROM hashtag_daily_stale;
            """  # noqa: S608 - constant SQL
        )
        record_refresh(con, "hashtag_daily", full=True)
        return int(scalar(con, "SELECT count(*) FROM hashtag_daily"))  # type: ignore[arg-type]


# Above this many marked posts (a full refresh of the raw store marks every post) the refresh
# rebuilds whole: one pass over the tables beats folding most of them in.
MAX_INCREMENTAL_POSTS = 200_000


def refresh_hashtag_daily(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the marked posts' changes into ``hashtag_daily`` (few enough to look up by key:
    on one DuckDB thread, :mod:`warehouse.load.threads`); returns its row count.

    Rebuilt whole instead: a warehouse whose hashtag_daily was never refreshed, one with a
    mark older than the state marks keep (schema/018), or more than
    :data:`MAX_INCREMENTAL_POSTS` marked posts.
    """
    marked, stateless = con.execute(
        "SELECT count(DISTINCT post_id), count(*) FILTER (WHERE held IS NULL) "
        "FROM hashtag_daily_stale"
    ).fetchall()[0]
    if stateless or marked > MAX_INCREMENTAL_POSTS or not _refreshed_before(con):
        return rebuild_hashtag_daily(con)
    by_key = marked <= KEY_LOOKUP_MAX
    with single_threaded(con, when=by_key), transaction(con):
        ids = None
        if by_key:
            ids = lookup_ids(
                r[0]
                for r in con.execute("SELECT DISTINCT post_id FROM hashtag_daily_stale").fetchall()
            )
        _fold(con, ids)
        record_refresh(con, "hashtag_daily", full=False, written="_hd_ids")
        con.execute(
            "DROP TABLE _hd_marks; DROP TABLE _hd_ids; DROP TABLE _hd_rows; DROP TABLE _hd_delta; "
            "DROP TABLE _hd_merged"
        )
        return int(scalar(con, "SELECT count(*) FROM hashtag_daily"))  # type: ignore[arg-type]


def _refreshed_before(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether hashtag_daily was refreshed before (else it holds none of the posts' counts
    the marks' states would subtract: a warehouse made before change tracking)."""
    return bool(
        scalar(con, "SELECT EXISTS (SELECT 1 FROM refresh_log WHERE table_name = 'hashtag_daily')")
    )
