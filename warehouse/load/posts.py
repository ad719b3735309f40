"""Parsed answers into ``posts``, ``post_metrics``, ``profiles`` and ``profile_snapshots``
(``post_hashtags`` is a view of posts' lists, schema/019).

Every load stages polars frames as Arrow tables, then in ONE transaction deletes the rows
whose keys it brings and inserts the new ones (set-based SQL, never row by row). Running a
load twice, or re-running one that died half way (the transaction rolls back), leaves the same
rows. "Latest wins" is decided by ``fetched_at``: reloading an old answer after a newer one
changes nothing in ``posts``/``profiles`` but still records its metrics snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.contract import (
    PROFILE_SCHEMA,
    UTC_TIMESTAMP,
    Answer,
    posts_frame_from_answers,
    profiles_frame_from_answers,
)
from warehouse.load.changes import mark_posts, mark_posts_wide_stale
from warehouse.load.keys import lookup_ids, post_ids_among
from warehouse.load.threads import single_threaded
from warehouse.load.transaction import scalar, transaction

# Profile columns merged field by field: a timeline page knows only id/username/post_count,
# and must not blank out the followers a full answer brought.
_PROFILE_MERGED = [c for c in PROFILE_SCHEMA if c not in ("id", "fetched_at")]

# The profile columns posts_wide copies onto every row of the profile's (``pr.`` in
# schema/004's posts_wide_rows; a test holds the two together). A load marks a profile for
# the posts_wide refresh, which rewrites all its rows, only when it is new or one of these
# changed: a timeline page, which brings none of them, or a fetch of a profile whose counts
# stood still, rewrites only its own posts' rows.
WIDE_PROFILE_COLUMNS = (
    "full_name",
    "followers",
    "following",
    "post_count",
    "is_verified",
    "is_private",
    "is_business_account",
    "category_name",
)


@dataclass(frozen=True)
class LoadStats:
    """What one :func:`load_parsed` call wrote."""

    profiles: int = 0  # profiles in the batch (distinct ids)
    snapshots: int = 0  # profile_snapshots rows written (full answers only)
    posts: int = 0  # distinct posts in the batch
    posts_updated: int = 0  # posts rows inserted or replaced (the batch's copy was newest)
    metrics: int = 0  # post_metrics rows written
    hashtags: int = 0  # hashtags of the posts rows written (post_hashtags' rows for them)


def posts_frame(parsed: Sequence[Answer]) -> pl.DataFrame:
    """The posts of many parsed answers as one frame (the schema even when empty).

    Answers whose posts are rows of an Arrow table already (``posts_source``: the table of
    the contract's columns, the offset and the row count, as the load's parse processes
    send them) are taken from it as they are, neighbouring answers as one slice: no round
    trip through Python values, and no frame of thousands of tiny chunks.
    """
    runs: list[list[Any]] = []  # [table, start, stop]
    for answer in parsed:
        source = getattr(answer, "posts_source", None)
        if source is None:
            return posts_frame_from_answers(parsed)
        table, offset, rows = source
        if runs and runs[-1][0] is table and runs[-1][2] == offset:
            runs[-1][2] += rows
        else:
            runs.append([table, offset, offset + rows])
    if not runs:
        return posts_frame_from_answers(parsed)
    pieces = [table.slice(start, stop - start) for table, start, stop in runs]
    return pl.from_arrow(pa.concat_tables(pieces))  # type: ignore[return-value]


def profiles_frame(parsed: Sequence[Answer]) -> pl.DataFrame:
    """Profile dicts as a frame, plus ``is_full`` (a full answer, not a timeline page)."""
    return profiles_frame_from_answers(parsed)


def load_parsed(con: duckdb.DuckDBPyConnection, parsed: Sequence[Answer]) -> LoadStats:
    """Upsert many parsed answers in one transaction.

    ``fetched_at`` left null by the parser is stamped with the database's clock. Within the
    batch, the latest fetch of a post wins (ties: the later answer in the list).
    """
    parsed = list(parsed)
    if not parsed:
        return LoadStats()
    return load_frames(con, posts_frame(parsed), profiles_frame(parsed))


def load_frames(
    con: duckdb.DuckDBPyConnection, posts: pl.DataFrame, profiles: pl.DataFrame
) -> LoadStats:
    """:func:`load_parsed` on frames already built (posts: ``POSTS_SCHEMA``; profiles:
    ``PROFILES_FRAME_SCHEMA``, both in :mod:`warehouse.contract`). The benchmark builds
    them in bulk."""
    with transaction(con):
        now = scalar(con, "SELECT current_timestamp")  # one clock: the db's
        posts = posts.with_columns(pl.col("fetched_at").fill_null(pl.lit(now).cast(UTC_TIMESTAMP)))
        profiles = profiles.with_columns(
            pl.col("fetched_at").fill_null(pl.lit(now).cast(UTC_TIMESTAMP))
        ).filter(pl.col("id").is_not_null())
        # Latest copy of each post within the batch, each profile's posts together: they
        # are appended in this order, and the posts_wide refresh reads a changed profile's
        # rows back. Left in the order unique() leaves them, a profile's posts lay spread
        # over the whole batch's rows (12,500 for 250 answers), and reading them decoded
        # up to one vector of every column per post.
        latest = (
            posts.sort("fetched_at", maintain_order=True)
            .unique("post_id", keep="last", maintain_order=False)
            .sort("owner_id", "taken_at", "post_id", nulls_last=True)
        )
        # Change tracking for the derived tables is committed with the rows or not at all: the
        # posts are marked by _load_staged, with the state it finds them in, and the profiles
        # whose attributes posts_wide copies by _load_profiles, when those changed.
        metrics = posts.select(
            "post_id", "fetched_at", "like_count", "comment_count", "video_view_count"
        ).unique(["post_id", "fetched_at"], keep="last")
        con.register("_stage_posts", latest.to_arrow())
        con.register("_stage_metrics", metrics.to_arrow())
        con.register("_stage_profiles", profiles.to_arrow())
        ids = lookup_ids(latest.get_column("post_id"))
        try:  # an update's batch by key lookups, on one thread (warehouse.load.threads)
            with single_threaded(con, when=ids is not None):
                stats = _load_staged(con, posts=latest.height, metrics=metrics.height, ids=ids)
        finally:
            for name in ("_stage_posts", "_stage_metrics", "_stage_profiles"):
                con.unregister(name)
    return stats


def _load_staged(
    con: duckdb.DuckDBPyConnection, *, posts: int, metrics: int, ids: list[str] | None
) -> LoadStats:
    """The staged batch into the tables, one step per table, inside the caller's transaction.

    ``ids``: the batch's post ids when few enough to look up by key, else None (joins).
    Each step is a module-level function so that a test can make one of them fail and see
    the whole load roll back.
    """
    known = _find_known(con, ids)
    _mark_posts(con, known=known)
    _write_metrics(con, known=known)
    winners = _write_posts(con, known=known)
    # post_hashtags is a view of the lists the winners brought (schema/019).
    hashtags = _count(con, "SELECT coalesce(sum(len(hashtags)), 0) FROM _winners")
    if known:
        _backdate_first_seen(con, by_key=ids is not None)
    con.execute("DROP TABLE _winners")
    con.execute("DROP TABLE _known")
    profiles = _count(con, "SELECT count(DISTINCT id) FROM _stage_profiles")
    snapshots = _load_profiles(con)
    return LoadStats(
        profiles=profiles,
        snapshots=snapshots,
        posts=posts,
        posts_updated=winners,
        metrics=metrics,
        hashtags=hashtags,
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """A count query's one value as an int (DuckDB gives a sum of lengths as HUGEINT)."""
    value = scalar(con, sql)
    if not isinstance(value, int):
        raise TypeError(f"{sql!r} gave {value!r}, not a count")
    return value


# The stored copies of the posts whose ids are listed, with their rowids (the delete of the
# replaced ones goes by those): rowids from the key column alone (the list is matched above
# the scan, after every row of the columns named was read), then those rows' other columns.
KNOWN_BY_KEY = (
    "SELECT rowid AS row_id, post_id, fetched_at, first_seen_at FROM posts "
    "WHERE rowid IN (SELECT rowid FROM posts WHERE {among})"
)


def _find_known(con: duckdb.DuckDBPyConnection, ids: list[str] | None) -> int:
    """``_known``: the batch's posts the warehouse already holds; returns how many.

    Looked up by key when ``ids`` lists them (an update: its cost follows the batch, not the
    warehouse), else by a join with the whole batch (a bulk load). A first load of new
    posts finds none and then skips the deletes.
    """
    if ids is not None:
        among, params = post_ids_among(ids)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _known AS {KNOWN_BY_KEY.format(among=among)}", params
        )
    else:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _known AS
            SELECT o.rowid AS row_id, o.post_id, o.fetched_at, o.first_seen_at
            FROM posts AS o SEMI JOIN _stage_posts AS s ON s.post_id = o.post_id;
            """
        )
    return _count(con, "SELECT count(*) FROM _known")


def _mark_posts(con: duckdb.DuckDBPyConnection, *, known: int) -> None:
    """Mark the batch's posts for the refreshes with what the stored copies of the known ones
    contribute to hashtag_daily, read by their rowids before any write."""
    if not known:
        mark_posts(con, "_stage_posts", None)
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _known_state AS "
        "SELECT post_id, taken_at, hashtags_norm FROM posts "
        "WHERE rowid IN (SELECT row_id FROM _known)"
    )
    mark_posts(con, "_stage_posts", "_known_state")
    con.execute("DROP TABLE _known_state")


def _write_metrics(con: duckdb.DuckDBPyConnection, *, known: int) -> None:
    """``post_metrics``: one row per post and fetch, a reloaded fetch replacing its row."""
    if known:
        con.execute(
            """
            DELETE FROM post_metrics AS m USING _stage_metrics AS s
            WHERE m.post_id = s.post_id AND m.fetched_at = s.fetched_at
              AND m.post_id IN (SELECT post_id FROM _known);
            """
        )
    con.execute("INSERT INTO post_metrics BY NAME SELECT * FROM _stage_metrics")


def _write_posts(con: duckdb.DuckDBPyConnection, *, known: int) -> int:
    """``posts``, and ``_winners``: the batch's copies that replace the stored ones; returns
    how many. A copy wins unless the warehouse already holds a newer fetch of that post."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _winners AS
        SELECT s.*, least(coalesce(o.first_seen_at, s.fetched_at), s.fetched_at) AS first_seen_at,
               post_num_of(s.post_id) AS post_num
        FROM _stage_posts AS s
        LEFT JOIN _known AS o ON o.post_id = s.post_id
        WHERE o.post_id IS NULL OR o.fetched_at IS NULL OR s.fetched_at >= o.fetched_at;
        """
    )
    if known:  # by the rowids _find_known read: no second scan of the post ids
        con.execute(
            """
            DELETE FROM posts WHERE rowid IN
                (SELECT row_id FROM _known SEMI JOIN _winners USING (post_id));
            """
        )
    con.execute("INSERT INTO posts BY NAME SELECT * FROM _winners")
    return _count(con, "SELECT count(*) FROM _winners")


def _backdate_first_seen(con: duckdb.DuckDBPyConnection, *, by_key: bool = False) -> None:
    """An older fetch loaded late does not win, but it does move ``first_seen_at`` back.
    ``by_key``: the known posts are few enough to update by key lookups."""
    earliest = """
        SELECT post_id, min(fetched_at) AS earliest FROM _stage_metrics
        WHERE post_id IN (SELECT post_id FROM _known) GROUP BY 1
    """
    if not by_key:
        con.execute(
            f"""
            UPDATE posts SET first_seen_at = e.earliest FROM ({earliest}) AS e
            WHERE posts.post_id = e.post_id AND e.earliest < posts.first_seen_at;
            """  # noqa: S608 - constant SQL
        )
        return
    ids = con.execute("SELECT list(post_id) FROM _known").fetchall()[0][0]
    con.execute(
        f"""
        UPDATE posts SET first_seen_at = e.earliest FROM ({earliest}) AS e
        WHERE list_contains($ids, posts.post_id)
          AND posts.post_id = e.post_id AND e.earliest < posts.first_seen_at;
        """,  # noqa: S608 - constant SQL
        {"ids": ids},
    )


def _load_profiles(con: duckdb.DuckDBPyConnection) -> int:
    # Collapse the batch to one row per id: per field, the latest non-null value.
    collapse = ",\n".join(
        f"arg_max({c}, fetched_at) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in _PROFILE_MERGED
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _batch_profiles AS
        SELECT id, max(fetched_at) AS fetched_at, {collapse}
        FROM _stage_profiles GROUP BY id;
        """  # noqa: S608 - column names from a constant, no values
    )
    # Merge with the stored row: the newer side wins field by field, falling back to the
    # other side where it knows nothing.
    merged = {
        c: f"CASE WHEN o.fetched_at IS NULL OR b.fetched_at >= o.fetched_at "
        f"THEN coalesce(b.{c}, o.{c}) ELSE coalesce(o.{c}, b.{c}) END"
        for c in _PROFILE_MERGED
    }
    columns = ",\n".join(f"{value} AS {c}" for c, value in merged.items())
    changed = " OR ".join(f"({merged[c]}) IS DISTINCT FROM o.{c}" for c in WIDE_PROFILE_COLUMNS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _merged_profiles AS
        SELECT b.id,
               greatest(b.fetched_at, o.fetched_at) AS fetched_at,
               least(coalesce(o.first_seen_at, b.fetched_at), b.fetched_at) AS first_seen_at,
               {columns},
               o.id IS NULL OR {changed} AS _wide_changed
        FROM _batch_profiles AS b LEFT JOIN profiles AS o ON o.id = b.id;
        """  # noqa: S608 - column names from constants, no values
    )
    changed_names = con.execute(
        "SELECT username FROM _merged_profiles WHERE _wide_changed"
    ).fetchall()
    mark_posts_wide_stale(con, (r[0] for r in changed_names))
    con.execute(
        """
        DELETE FROM profiles WHERE id IN (SELECT id FROM _merged_profiles);
        INSERT INTO profiles BY NAME SELECT * EXCLUDE (_wide_changed) FROM _merged_profiles;
        DROP TABLE _batch_profiles;
        DROP TABLE _merged_profiles;
        """
    )
    # Snapshots: full answers only (a page has no follower counts to chart).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _snapshots AS
        SELECT id AS profile_id,
               arg_max(username, fetched_at) AS username, fetched_at,
               arg_max(followers, fetched_at) AS followers,
               arg_max(following, fetched_at) AS following,
               arg_max(post_count, fetched_at) AS post_count,
               arg_max(is_private, fetched_at) AS is_private,
               arg_max(is_verified, fetched_at) AS is_verified
        FROM _stage_profiles WHERE is_full GROUP BY id, fetched_at;
        DELETE FROM profile_snapshots AS p USING _snapshots AS s
        WHERE p.profile_id = s.profile_id AND p.fetched_at = s.fetched_at;
        INSERT INTO profile_snapshots BY NAME SELECT * FROM _snapshots;
        """
    )
    written = scalar(con, "SELECT count(*) FROM _snapshots")
    con.execute("DROP TABLE _snapshots")
    return written
