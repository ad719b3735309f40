"""Idempotent, columnar loads into the warehouse.

Every load stages a polars frame as an Arrow table, then in ONE transaction deletes the rows
whose keys it brings and inserts the new ones (set-based SQL, never row by row). Running a
load twice, or re-running one that died half way (the transaction rolls back), leaves the same
rows. "Latest wins" is decided by ``fetched_at``: reloading an old answer after a newer one
changes nothing in ``posts``/``profiles`` but still records its metrics snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from intrend_assets.parsing.profile import ParsedProfile

_UTC = pl.Datetime("us", "UTC")

PROFILE_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "username": pl.String,
        "full_name": pl.String,
        "biography": pl.String,
        "followers": pl.Int64,
        "following": pl.Int64,
        "post_count": pl.Int64,
        "is_private": pl.Boolean,
        "is_verified": pl.Boolean,
        "is_business_account": pl.Boolean,
        "category_name": pl.String,
        "external_url": pl.String,
        "profile_pic_url": pl.String,
        "fetched_at": _UTC,
    }
)

FETCH_LOG_SCHEMA = pl.Schema(
    {
        "requested_at": _UTC,
        "username": pl.String,
        "egress_ip": pl.String,
        "strategy": pl.String,
        "endpoint": pl.String,  # the fetch strategy (older rows: web_profile_info / timeline)
        "kind": pl.String,  # profile / page (older rows: derived from endpoint)
        "session": pl.Boolean,  # a logged-in session was used (older rows: false)
        "status": pl.Int32,
        "outcome": pl.String,
        "latency_ms": pl.Float64,
        "bytes": pl.Int64,
        "attempt": pl.Int32,
        "rotation": pl.Int32,
        "run_id": pl.String,
    }
)
FETCH_LOG_KEY = ("run_id", "username", "requested_at", "attempt")

IP_LOG_SCHEMA = pl.Schema({"ip": pl.String, "seen_at": _UTC, "source": pl.String})
IP_LOG_KEY = ("ip", "seen_at")

# Profile columns merged field by field: a timeline page knows only id/username/post_count,
# and must not blank out the followers a full answer brought.
_PROFILE_MERGED = [c for c in PROFILE_SCHEMA if c not in ("id", "fetched_at")]


@dataclass(frozen=True)
class LoadStats:
    """What one :func:`load_parsed` call wrote."""

    profiles: int = 0  # profiles in the batch (distinct ids)
    snapshots: int = 0  # profile_snapshots rows written (full answers only)
    posts: int = 0  # distinct posts in the batch
    posts_updated: int = 0  # posts rows inserted or replaced (the batch's copy was newest)
    metrics: int = 0  # post_metrics rows written
    hashtags: int = 0  # post_hashtags rows written


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any exception (a killed load leaves nothing behind)."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def posts_frame(parsed: Sequence[ParsedProfile]) -> pl.DataFrame:
    """The posts of many parsed answers as one frame (the schema even when empty)."""
    from intrend_assets.parsing.profile import posts_columns_frame

    return posts_columns_frame(parsed)


def profiles_frame(parsed: Sequence[ParsedProfile]) -> pl.DataFrame:
    """Profile dicts as a frame, plus ``is_full`` (a full answer, not a timeline page)."""
    rows = [{k: p.profile.get(k) for k in PROFILE_SCHEMA} for p in parsed]
    frame = (
        pl.DataFrame(rows, schema=PROFILE_SCHEMA) if rows else pl.DataFrame(schema=PROFILE_SCHEMA)
    )
    return frame.with_columns(
        is_full=pl.Series([p.kind == "profile" for p in parsed], dtype=pl.Boolean)
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """First value of a one-row query, with the result fully consumed (DuckDB 2 insists)."""
    return con.execute(sql).fetchall()[0][0]


def load_parsed(
    con: duckdb.DuckDBPyConnection,
    parsed: Sequence[ParsedProfile],
    *,
    _fail_after: Callable[[str], None] | None = None,
) -> LoadStats:
    """Upsert many parsed answers in one transaction.

    ``fetched_at`` left null by the parser is stamped with the database's clock. Within the
    batch, the latest fetch of a post wins (ties: the later answer in the list).
    ``_fail_after`` is a test hook called after each step, to simulate a crash mid-load.
    """
    parsed = list(parsed)
    if not parsed:
        return LoadStats()
    posts = posts_frame(parsed)
    profiles = profiles_frame(parsed)
    return load_frames(con, posts, profiles, _fail_after=_fail_after)


def load_frames(
    con: duckdb.DuckDBPyConnection,
    posts: pl.DataFrame,
    profiles: pl.DataFrame,
    *,
    _fail_after: Callable[[str], None] | None = None,
) -> LoadStats:
    """:func:`load_parsed` on frames already built (posts: ``POSTS_SCHEMA``; profiles:
    ``PROFILE_SCHEMA`` plus ``is_full``). The benchmark builds them in bulk."""
    step = _fail_after or (lambda _name: None)
    with transaction(con):
        now = _scalar(con, "SELECT current_timestamp")  # one clock: the db's
        posts = posts.with_columns(pl.col("fetched_at").fill_null(pl.lit(now).cast(_UTC)))
        profiles = profiles.with_columns(
            pl.col("fetched_at").fill_null(pl.lit(now).cast(_UTC))
        ).filter(pl.col("id").is_not_null())
        # Latest copy of each post within the batch.
        latest = posts.sort("fetched_at", maintain_order=True).unique(
            "post_id", keep="last", maintain_order=False
        )
        metrics = posts.select(
            "post_id", "fetched_at", "like_count", "comment_count", "video_view_count"
        ).unique(["post_id", "fetched_at"], keep="last")
        con.register("_stage_posts", latest.to_arrow())
        con.register("_stage_metrics", metrics.to_arrow())
        con.register("_stage_profiles", profiles.to_arrow())
        try:
            stats = _load_staged(con, step, posts=latest.height, metrics=metrics.height)
        finally:
            for name in ("_stage_posts", "_stage_metrics", "_stage_profiles"):
                con.unregister(name)
    return stats


def _load_staged(
    con: duckdb.DuckDBPyConnection, step: Callable[[str], None], *, posts: int, metrics: int
) -> LoadStats:
    # The batch's posts the warehouse already holds. A first load of new posts (the common
    # case, and every bulk load) then skips the deletes, which scan whole tables.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _known AS
        SELECT o.post_id, o.fetched_at, o.first_seen_at
        FROM posts AS o SEMI JOIN _stage_posts AS s ON s.post_id = o.post_id;
        """
    )
    known = _scalar(con, "SELECT count(*) FROM _known")
    if known:
        con.execute(
            """
            DELETE FROM post_metrics AS m USING _stage_metrics AS s
            WHERE m.post_id = s.post_id AND m.fetched_at = s.fetched_at
              AND m.post_id IN (SELECT post_id FROM _known);
            """
        )
    con.execute("INSERT INTO post_metrics BY NAME SELECT * FROM _stage_metrics")
    step("post_metrics")
    # The batch's copy wins unless the warehouse already holds a newer fetch of that post.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _winners AS
        SELECT s.*, least(coalesce(o.first_seen_at, s.fetched_at), s.fetched_at) AS first_seen_at
        FROM _stage_posts AS s
        LEFT JOIN _known AS o ON o.post_id = s.post_id
        WHERE o.post_id IS NULL OR o.fetched_at IS NULL OR s.fetched_at >= o.fetched_at;
        """
    )
    winners = _scalar(con, "SELECT count(*) FROM _winners")
    if known:
        con.execute(
            """
            DELETE FROM posts WHERE post_id IN
                (SELECT post_id FROM _known SEMI JOIN _winners USING (post_id));
            """
        )
    con.execute("INSERT INTO posts BY NAME SELECT * FROM _winners")
    step("posts")
    if known:
        con.execute(
            """
            DELETE FROM post_hashtags WHERE post_id IN
                (SELECT post_id FROM _known SEMI JOIN _winners USING (post_id));
            """
        )
    con.execute(
        """
        INSERT INTO post_hashtags BY NAME
        SELECT post_id,
               CAST(unnest(generate_series(1, len(hashtags))) AS INTEGER) AS position,
               unnest(hashtags) AS tag,
               unnest(hashtags_norm) AS tag_norm
        FROM _winners
        WHERE len(hashtags) > 0;
        """
    )
    hashtags = _scalar(con, "SELECT coalesce(sum(len(hashtags)), 0) FROM _winners")
    con.execute("DROP TABLE _winners")
    step("post_hashtags")
    if known:
        # An older fetch loaded late does not win, but it does move first_seen_at back.
        con.execute(
            """
            UPDATE posts SET first_seen_at = e.earliest
            FROM (SELECT post_id, min(fetched_at) AS earliest FROM _stage_metrics
                  WHERE post_id IN (SELECT post_id FROM _known) GROUP BY 1) AS e
            WHERE posts.post_id = e.post_id AND e.earliest < posts.first_seen_at;
            """
        )
    con.execute("DROP TABLE _known")

    profiles = _scalar(con, "SELECT count(DISTINCT id) FROM _stage_profiles")
    snapshots = _load_profiles(con)
    step("profiles")
    return LoadStats(
        profiles=profiles,
        snapshots=snapshots,
        posts=posts,
        posts_updated=winners,
        metrics=metrics,
        hashtags=int(hashtags),
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
    merged = ",\n".join(
        f"CASE WHEN o.fetched_at IS NULL OR b.fetched_at >= o.fetched_at "
        f"THEN coalesce(b.{c}, o.{c}) ELSE coalesce(o.{c}, b.{c}) END AS {c}"
        for c in _PROFILE_MERGED
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _merged_profiles AS
        SELECT b.id,
               greatest(b.fetched_at, o.fetched_at) AS fetched_at,
               least(coalesce(o.first_seen_at, b.fetched_at), b.fetched_at) AS first_seen_at,
               {merged}
        FROM _batch_profiles AS b LEFT JOIN profiles AS o ON o.id = b.id;
        DELETE FROM profiles WHERE id IN (SELECT id FROM _merged_profiles);
        INSERT INTO profiles BY NAME SELECT * FROM _merged_profiles;
        DROP TABLE _batch_profiles;
        DROP TABLE _merged_profiles;
        """  # noqa: S608 - column names from a constant, no values
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
    written = _scalar(con, "SELECT count(*) FROM _snapshots")
    con.execute("DROP TABLE _snapshots")
    return written


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
        return _scalar(con, "SELECT count(*) FROM hashtag_daily")


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
        return _scalar(con, "SELECT count(*) FROM posts_wide")


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
    if _scalar(con, "SELECT count(*) FROM posts_wide") == 0:
        rows = rebuild_posts_wide(con)
        profiles = _scalar(con, "SELECT count(DISTINCT owner_username) FROM posts_wide")
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
            written = _scalar(
                con,
                "SELECT count(*) FROM posts_wide "
                "WHERE post_id IN (SELECT post_id FROM _wide_targets)",
            )
            con.execute("DROP TABLE _wide_targets")
        finally:
            con.unregister("_wide_ids")
            con.unregister("_wide_names")
    return written


def _conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Exactly ``schema``'s columns: missing ones null, extra ones dropped, types cast."""
    exprs = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif isinstance(dtype, pl.Datetime) and frame.schema[name] == pl.String:
            exprs.append(pl.col(name).str.to_datetime(time_zone="UTC").cast(dtype))
        elif isinstance(dtype, pl.Datetime) and getattr(frame.schema[name], "time_zone", 1) is None:
            exprs.append(pl.col(name).dt.replace_time_zone("UTC").cast(dtype))  # naive = UTC
        else:
            exprs.append(pl.col(name).cast(dtype, strict=False))
    return frame.select(exprs)


def _load_keyed(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: pl.Schema,
    key: Sequence[str],
) -> int:
    """Delete + insert by key; the caller holds the transaction, so that a batch's record can
    commit with its rows (DuckDB cannot nest transactions: a second BEGIN aborts the first)."""
    staged = _conform(frame, schema).unique(list(key), keep="last", maintain_order=True)
    if staged.height == 0:
        return 0
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    con.register("_stage_keyed", staged.to_arrow())
    try:
        con.execute(f"DELETE FROM {table} AS t USING _stage_keyed AS s WHERE {match}")  # noqa: S608
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _stage_keyed")  # noqa: S608
    finally:
        con.unregister("_stage_keyed")
    return staged.height


def fetch_log_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A request-log batch in ``FETCH_LOG_SCHEMA``, old batches given the new columns' values.

    Logs written before the fetch strategies (issue 8) have no ``kind``/``session`` and stay on
    disk for ever; they must load like new ones. Their ``kind`` follows from the endpoint
    (``timeline`` was the only page endpoint) and no session existed then. The same rule as
    migration 006 applies to old rows already in the warehouse.
    """
    conformed = _conform(frame, FETCH_LOG_SCHEMA)
    return conformed.with_columns(
        kind=pl.coalesce(
            pl.col("kind"),
            pl.when(pl.col("endpoint") == "timeline")
            .then(pl.lit("page"))
            .otherwise(pl.lit("profile")),
        ),
        session=pl.col("session").fill_null(False),
    )


def load_fetch_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert request-log rows by (run_id, username, requested_at, attempt); returns rows staged.

    Missing columns load as null, except ``kind`` and ``session`` (see :func:`fetch_log_frame`);
    extra keys are ignored; naive timestamps are taken as UTC.
    """
    with transaction(con):
        return _upsert_fetch_log(con, frame)


def _upsert_fetch_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """:func:`load_fetch_log` inside the caller's transaction."""
    return _load_keyed(con, "fetch_log", fetch_log_frame(frame), FETCH_LOG_SCHEMA, FETCH_LOG_KEY)


@dataclass(frozen=True)
class BatchLoadStats:
    """What one :func:`load_fetch_log_batches` call did."""

    seen: int = 0  # batch files given
    loaded: int = 0  # batch files loaded by this call (new, changed, or all on a full reload)
    rows: int = 0  # rows upserted from them


def load_fetch_log_batches(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], *, full_reload: bool = False
) -> BatchLoadStats:
    """Upsert the request-log batch files not loaded before, and record each one loaded.

    Reading every batch on every run made the fetch_log step grow with the whole history;
    ``fetch_log_batches`` remembers what was loaded. Each batch commits with its record in
    one transaction, so a run that dies keeps the batches before it and never records one
    whose rows are missing. A batch whose file changed size or modification time since (a
    retried step rewrote it) is loaded again: the upsert by key makes that safe. A batch
    recorded but gone from ``paths`` is left alone. ``full_reload`` loads every batch.
    """
    known = {
        name: (size, modified)
        for name, size, modified in con.execute(
            "SELECT name, bytes, modified_ns FROM fetch_log_batches"
        ).fetchall()
    }
    loaded = rows = 0
    for path in paths:
        # Stat before reading: a rewrite in between then looks changed next time, not loaded.
        stat = path.stat()
        fingerprint = (stat.st_size, stat.st_mtime_ns)
        if not full_reload and known.get(path.name) == fingerprint:
            continue
        frame = pl.read_parquet(path)
        with transaction(con):
            written = _upsert_fetch_log(con, frame)
            _record_batch(con, path.name, fingerprint, written)
        loaded += 1
        rows += written
    return BatchLoadStats(seen=len(paths), loaded=loaded, rows=rows)


def _record_batch(
    con: duckdb.DuckDBPyConnection, name: str, fingerprint: tuple[int, int], rows: int
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO fetch_log_batches (name, bytes, modified_ns, rows, loaded_at) "
        "VALUES ($name, $bytes, $modified_ns, $rows, current_timestamp)",
        {"name": name, "bytes": fingerprint[0], "modified_ns": fingerprint[1], "rows": rows},
    )


def load_ip_log(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert the modem's IP sightings by (ip, seen_at); returns rows staged."""
    with transaction(con):
        return _load_keyed(con, "ip_log", frame, IP_LOG_SCHEMA, IP_LOG_KEY)
