"""``hashtag_daily``: hashtag × UTC day counts, kept up to date by differences.

``hashtag_daily`` is the sum by (tag, day) of ``hashtag_daily_posts``, which holds what each
post contributes (one row per post and normalised tag: its day and its uses). A refresh takes
the posts the load marked (``hashtag_daily_stale``), subtracts their old rows, adds their
rows as ``posts`` and ``post_hashtags`` now hold them, and rewrites only the (tag, day) keys
that moved. Its cost follows the posts changed, not the warehouse: no day is rescanned. An
edited caption's dropped tags, a post moved to another day and a post gone from ``posts`` all
come out of the subtraction. :func:`rebuild_hashtag_daily` recomputes both tables from
scratch (the daily rebuild, and the first refresh of a warehouse that has no
``hashtag_daily_posts`` yet).
"""

from __future__ import annotations

import duckdb

from warehouse.load.changes import record_refresh
from warehouse.load.keys import KEY_LOOKUP_MAX, lookup_ids
from warehouse.load.transaction import scalar, transaction

# Posts without taken_at have no day and are left out.
_CONTRIBUTIONS = """
    SELECT h.post_id, h.tag_norm, CAST(timezone('UTC', p.taken_at) AS DATE) AS day,
           count(*) AS uses
    FROM post_hashtags AS h JOIN posts AS p ON p.post_id = h.post_id
    WHERE p.taken_at IS NOT NULL {only}
    GROUP BY ALL
"""

# The marked posts (``_hd_ids``), as a join, or as a bound list filtering the post_id scan when
# few enough (warehouse.load.keys): ``{in_ids}`` is filled with one or the other.
_JOINED = "{column} IN (SELECT post_id FROM _hd_ids)"
_BY_KEY = "list_contains($ids, {column})"


# The marked posts' old contributions out, their new ones in, the (tag, day) keys that moved
# rewritten. One statement per item, so that each can take the ids as a parameter.
_FOLD = [
    "CREATE OR REPLACE TEMP TABLE _hd_ids AS SELECT DISTINCT post_id FROM hashtag_daily_stale",
    # From posts' own list of normalised tags (post_hashtags holds the same, one row per
    # tag, written from it by the load): one scan of posts, none of post_hashtags, a table
    # ~4 times longer. The checks still compare the result with post_hashtags.
    """
    CREATE OR REPLACE TEMP TABLE _hd_new AS
    SELECT post_id, tag_norm, day, count(*) AS uses
    FROM (
        SELECT post_id, unnest(hashtags_norm) AS tag_norm,
               CAST(timezone('UTC', taken_at) AS DATE) AS day
        FROM posts WHERE taken_at IS NOT NULL AND {in_ids:post_id}
    )
    GROUP BY ALL
    """,
    # The old contributions, with their rowids: the delete below goes by rowid, not by a
    # second scan of the post ids.
    "CREATE OR REPLACE TEMP TABLE _hd_old AS "
    "SELECT rowid AS row_id, tag_norm, day, uses FROM hashtag_daily_posts WHERE {in_ids:post_id}",
    """
    CREATE OR REPLACE TEMP TABLE _hd_delta AS
    SELECT tag_norm, day, sum(posts) AS posts, sum(uses) AS uses
    FROM (
        SELECT tag_norm, day, -1 AS posts, -uses AS uses FROM _hd_old
        UNION ALL
        SELECT tag_norm, day, 1 AS posts, uses FROM _hd_new
    )
    GROUP BY ALL
    HAVING sum(posts) <> 0 OR sum(uses) <> 0
    """,
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
    "DELETE FROM hashtag_daily_posts WHERE rowid IN (SELECT row_id FROM _hd_old)",
    "INSERT INTO hashtag_daily_posts BY NAME SELECT * FROM _hd_new",
    "DELETE FROM hashtag_daily_stale WHERE post_id IN (SELECT post_id FROM _hd_ids)",
]


class _InIds:
    """Formats ``{in_ids:column}`` as the join or the key lookup of the marked posts."""

    def __init__(self, by_key: bool) -> None:
        self._template = _BY_KEY if by_key else _JOINED

    def __format__(self, column: str) -> str:
        if not column.replace(".", "").replace("_", "").isalnum():
            raise ValueError(f"{column!r} is not a column")
        return self._template.format(column=column)


def _fold(con: duckdb.DuckDBPyConnection, ids: list[str] | None) -> None:
    """Run :data:`_FOLD`, by key lookups when ``ids`` lists the marked posts."""
    in_ids = _InIds(by_key=ids is not None)
    for statement in _FOLD:
        sql = statement.format(in_ids=in_ids)
        if ids is not None and "$ids" in sql:
            con.execute(sql, {"ids": ids})
        else:
            con.execute(sql)


_MARKED = "SELECT DISTINCT post_id FROM hashtag_daily_stale"


def rebuild_hashtag_daily(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``hashtag_daily`` (and what each post contributes) from ``post_hashtags`` ×
    ``posts``; clears the marks. Returns its row count."""
    with transaction(con):
        con.execute(
            f"""
            DELETE FROM hashtag_daily_posts;
            INSERT INTO hashtag_daily_posts BY NAME {_CONTRIBUTIONS.format(only="")};
            DELETE FROM hashtag_daily;
            INSERT INTO hashtag_daily BY NAME
            SELECT tag_norm, day, count(*) AS posts, sum(uses) AS uses
            FROM hashtag_daily_posts GROUP BY ALL;
            DELETE FROM hashtag_daily_stale;
            """  # noqa: S608 - constant SQL
        )
        record_refresh(con, "hashtag_daily", full=True)
        return int(scalar(con, "SELECT count(*) FROM hashtag_daily"))  # type: ignore[arg-type]


# Above this many marked posts (a full refresh of the raw store marks every post) the refresh
# rebuilds whole: one pass over the tables beats folding most of them in.
MAX_INCREMENTAL_POSTS = 200_000


def refresh_hashtag_daily(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the marked posts' changes into ``hashtag_daily``; returns its row count.

    A warehouse whose ``hashtag_daily_posts`` is empty while it holds hashtags (new, or
    made before the table existed), or more than :data:`MAX_INCREMENTAL_POSTS` marked posts,
    is rebuilt whole instead.
    """
    marked = scalar(con, "SELECT count(DISTINCT post_id) FROM hashtag_daily_stale")
    if not _has_contributions(con) or int(marked) > MAX_INCREMENTAL_POSTS:  # type: ignore[call-overload]
        return rebuild_hashtag_daily(con)
    with transaction(con):
        ids = None
        if int(marked) <= KEY_LOOKUP_MAX:  # type: ignore[call-overload]
            ids = lookup_ids(r[0] for r in con.execute(_MARKED).fetchall())
        _fold(con, ids)
        record_refresh(con, "hashtag_daily", full=False, written="_hd_ids")
        con.execute(
            "DROP TABLE _hd_ids; DROP TABLE _hd_new; DROP TABLE _hd_old; DROP TABLE _hd_delta; "
            "DROP TABLE _hd_merged"
        )
        return int(scalar(con, "SELECT count(*) FROM hashtag_daily"))  # type: ignore[arg-type]


def _has_contributions(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``hashtag_daily_posts`` is in use: non-empty, or nothing to put in it."""
    if scalar(con, "SELECT EXISTS (SELECT 1 FROM hashtag_daily_posts)"):
        return True
    return not scalar(con, "SELECT EXISTS (SELECT 1 FROM post_hashtags)")
